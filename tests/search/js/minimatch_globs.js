// The include/exclude regexes the VS Code extension builds from search globs, and which names
// the glob library's own regexes select. Run as: node minimatch_globs.js <minimatch package dir>
// stdin:  {"cases": [{"globs": ["**/*.cls"], "prefix": true}], "names": ["/Demo/A.cls"]}
// stdout: [{"source": "...", "flags": [""], "matched": ["/Demo/A.cls"]}]
// With "prefix" each glob gets a leading "/" unless it starts with "**/", as the extension does
// for a search of a whole workspace folder; without it the glob goes to makeRe unchanged. The
// regexes are joined with "|" as the extension joins them (a glob makeRe refuses is left out).
"use strict";
const { makeRe } = require(process.argv[2]);

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const { cases, names } = JSON.parse(input);
  const out = cases.map(({ globs, prefix }) => {
    const regexes = globs
      .map((glob) => (prefix && !glob.startsWith("**/") ? `/${glob}` : glob))
      .map((glob) => makeRe(glob))
      .filter((re) => re !== false);
    return {
      source: regexes.map((re) => re.source).join("|"),
      flags: regexes.map((re) => re.flags),
      matched: names.filter((name) => regexes.some((re) => re.test(name))),
    };
  });
  process.stdout.write(JSON.stringify(out));
});
