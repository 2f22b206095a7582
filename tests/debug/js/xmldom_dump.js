// Reads a byte stream of server packets (`<len>|<base64>` ...) on stdin, splits it, and parses
// every document with @xmldom/xmldom (the XML library of the VS Code ObjectScript extension)
// after decoding the XML bytes as ISO-8859-1, as that client does. Prints one JSON object:
// {documents: [tree...], problems: [...]}; a tree is {name, attrs, children} for an element,
// {text} for a text node, with attribute values and text turned back from latin-1 into UTF-8.
// argv[2]: the path of the installed @xmldom/xmldom package.
"use strict";
const { DOMParser } = require(process.argv[2]);

function repair(text) {
  return Buffer.from(text, "latin1").toString("utf8");
}

function tree(node) {
  if (node.nodeType === 1) {
    const attrs = {};
    for (let i = 0; i < node.attributes.length; i++) {
      const attribute = node.attributes.item(i);
      attrs[attribute.name] = repair(attribute.value);
    }
    return { name: node.nodeName, attrs, children: Array.from(node.childNodes).map(tree) };
  }
  if (node.nodeType === 3) return { text: repair(node.data) };
  return { other: node.nodeType };
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  let stream = Buffer.concat(chunks);
  const documents = [];
  const problems = [];
  while (stream.length) {
    const bar = stream.indexOf("|");
    if (bar < 0) { problems.push("trailing bytes without a length"); break; }
    const length = parseInt(stream.slice(0, bar).toString("latin1"), 10);
    const payload = stream.slice(bar + 1, bar + 1 + length);
    if (payload.length !== length) { problems.push("stream cut inside a packet"); break; }
    stream = stream.slice(bar + 1 + length);
    const xml = Buffer.from(payload.toString("ascii"), "base64").toString("latin1");
    const parser = new DOMParser({
      onError: (level, message) => problems.push(`${level}: ${message}`),
    });
    try {
      const document = parser.parseFromString(xml, "application/xml");
      documents.push(tree(document.documentElement));
    } catch (error) {
      problems.push(`throws: ${error}`);
      documents.push(null);
    }
  }
  console.log(JSON.stringify({ documents, problems }));
});
