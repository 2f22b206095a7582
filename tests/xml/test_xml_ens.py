"""ens/classes/{type} and ens/adapter/{name} from the workspace's class hierarchy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Client, summary

FAKE_ENS = {
    "My/In.cls": 'Class My.In Extends Ens.InboundAdapter\n{\n\nParameter INPUTCLASS = '
                 '"%Stream.Object";\n\nParameter OUTPUTCLASS = "%String";\n\n}\n',
    "My/FileIn.cls": "Class My.FileIn Extends In\n{\n\nParameter OUTPUTCLASS = \"My.Msg\";\n\n}\n",
    "My/Out.cls": "Class My.Out Extends (%RegisteredObject, Ens.OutboundAdapter)\n{\n}\n",
    "My/Msg.cls": "Class My.Msg Extends Ens.Request\n{\n}\n",
    "My/Reply.cls": "Class My.Reply Extends Ens.Response\n{\n}\n",
    "My/Svc.cls": "Class My.Svc Extends Ens.BusinessService\n{\n}\n",
    "My/Proc.cls": "Class My.Proc Extends Ens.BusinessProcessBPL\n{\n}\n",
    "My/Op.cls": "Class My.Op Extends Ens.BusinessOperation\n{\n}\n",
    "My/Xf.cls": "Class My.Xf Extends Ens.DataTransformationDTL\n{\n}\n",
    "My/Prod.cls": "Class My.Prod Extends Ens.Production\n{\n}\n",
    "My/Rule.cls": "Class My.Rule Extends Ens.Rule.Definition\n{\n}\n",
    "My/Plain.cls": "Class My.Plain Extends %Persistent\n{\n}\n",
}
EXPECTED = {
    1: ["My.FileIn", "My.In", "My.Out"], 2: ["My.FileIn", "My.In"], 3: ["My.Out"],
    4: ["My.Msg", "My.Reply"], 5: ["My.Msg"], 6: ["My.Reply"], 7: ["My.Svc"], 8: ["My.Proc"],
    9: ["My.Op"], 10: ["My.Xf"], 11: ["My.Prod"], 12: ["My.Op", "My.Proc", "My.Svc"],
    13: [], 14: ["My.Rule"],
}


@pytest.fixture
def ens_api(tmp_path: Path, make_client: Callable[..., Client]) -> Client:
    """A workspace holding a small fake interoperability hierarchy."""
    ws = tmp_path / "ens"
    for rel, text in FAKE_ENS.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    return make_client(ws)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_class_lists_follow_the_hierarchy(ens_api: Client, number: int) -> None:
    assert ens_api.ok(ens_api.call("GET", f"ens/classes/{number}"))["content"] == \
        EXPECTED[number]


@pytest.mark.parametrize("number", [1, 2, 3, 4, 11])
def test_lists_are_empty_without_interoperability_classes(api: Client, number: int) -> None:
    assert api.ok(api.call("GET", f"ens/classes/{number}"))["content"] == []


@pytest.mark.parametrize("number", ["0", "15", "x", "-1", "٣"])
def test_unknown_type_is_400(api: Client, number: str) -> None:
    resp = api.call("GET", f"ens/classes/{number}")
    assert resp.status_code == 400 and "1 to 14" in summary(resp)


def test_adapter_input_output_with_inherited_parameters(ens_api: Client) -> None:
    assert ens_api.ok(ens_api.call("GET", "ens/adapter/My.In"))["content"] == {
        "input": "%Stream.Object", "output": "%String"}
    assert ens_api.ok(ens_api.call("GET", "ens/adapter/My.FileIn.cls"))["content"] == {
        "input": "%Stream.Object", "output": "My.Msg"}
    assert ens_api.ok(ens_api.call("GET", "ens/adapter/My.Out"))["content"] == {
        "input": "", "output": ""}


@pytest.mark.parametrize("name", ["My.Nope", "My.Plain", "My.Svc"])
def test_unknown_or_non_adapter_is_404(ens_api: Client, name: str) -> None:
    resp = ens_api.call("GET", f"ens/adapter/{name}")
    assert resp.status_code == 404 and name in summary(resp)
