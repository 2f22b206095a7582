"""Storage generated for persistent and serial classes, in the exact shapes of compiler.md §4.5."""

from __future__ import annotations

from stub_helpers import cls

from compiler_stub.generation.storage import global_base

PERSON = ("Property Name As %String;\n\nProperty Tmp As %String [ Transient ];\n\n"
          "Property Calc As %String [ Calculated ];\n\n"
          "Relationship Kids As Demo.Kid [ Cardinality = many,"
          " Inverse = Parent ];")


def _value(n: int, name: str) -> list[str]:
    return [f'<Value name="{n}">', f"<Value>{name}</Value>", "</Value>"]


def test_persistent_root_storage(compile_docs) -> None:
    kid = cls("Demo.Kid", "Relationship Parent As Demo.Person [ Cardinality = one, "
                          "Inverse = Kids ];", extends="%Persistent")
    result = compile_docs([cls("Demo.Person", PERSON, extends="%Persistent")], extra=(kid,))
    assert result.errors == ()
    out = result.outcomes[0]
    assert out.storage == (
        "Storage Default", "{", '<Data name="PersonDefaultData">', *_value(1, "%%CLASSNAME"),
        *_value(2, "Name"), "</Data>", "<DataLocation>^Demo.PersonD</DataLocation>",
        "<DefaultData>PersonDefaultData</DefaultData>", "<IdLocation>^Demo.PersonD</IdLocation>",
        "<IndexLocation>^Demo.PersonI</IndexLocation>",
        "<StreamLocation>^Demo.PersonS</StreamLocation>", "<Type>%Storage.Persistent</Type>", "}")
    assert out.source is not None
    assert out.source[-len(out.storage) - 3:] == ("", *out.storage, "", "}")


def test_serial_storage(compile_docs) -> None:
    out = compile_docs([cls("Demo.Addr", "Property City As %String;",
                            extends="%SerialObject")]).outcomes[0]
    assert out.storage == (
        "Storage Default", "{", '<Data name="AddrState">', *_value(1, "City"), "</Data>",
        "<State>AddrState</State>", "<StreamLocation>^Demo.AddrS</StreamLocation>",
        "<Type>%Storage.Serial</Type>", "}")
    empty = compile_docs([cls("Demo.E", extends="%SerialObject")]).outcomes[0]
    assert empty.storage == ("Storage Default", "{", "<StreamLocation>^Demo.ES</StreamLocation>",
                             "<Type>%Storage.Serial</Type>", "}")


def test_subclass_shares_the_extent(compile_docs) -> None:
    base = cls("Msg.Base", "Property A As %String;", extends="%Persistent")
    sub = cls("Msg.Sub", "Property B As %String;", extends="Msg.Base")
    bare = cls("Msg.Bare", extends="Ens.Request")
    result = compile_docs([sub, bare], extra=(base,))
    assert result.outcomes[0].storage == (
        "Storage Default", "{", '<Data name="SubDefaultData">', '<Subscript>"Sub"</Subscript>',
        *_value(1, "B"), "</Data>", "<DefaultData>SubDefaultData</DefaultData>",
        "<Type>%Storage.Persistent</Type>", "}")
    assert result.outcomes[1].storage == ("Storage Default", "{",
                                          "<Type>%Storage.Persistent</Type>", "}")


def test_existing_storage_keeps_numbers_and_adds_new(compile_docs) -> None:
    first = compile_docs([cls("K.P", "Property A As %String;", extends="%Persistent")])
    text = "\n".join(first.outcomes[0].source or ())
    grown = text.replace("Property A As %String;", "Property A As %String;\n\n"
                                                     "Property B As %Integer;")
    doc2 = cls("K.P").__class__("K.P.cls", tuple(grown.split("\n")))
    again = compile_docs([doc2])
    storage = again.outcomes[0].storage
    assert storage[2:12] == ('<Data name="PDefaultData">', *_value(1, "%%CLASSNAME"),
                             *_value(2, "A"), *_value(3, "B"))
    assert sum(1 for x in again.outcomes[0].source or () if x == "Storage Default") == 1
    unchanged = compile_docs([doc2.__class__("K.P.cls", again.outcomes[0].source or ())])
    assert unchanged.outcomes[0].source is None and unchanged.outcomes[0].storage == ()


def test_no_storage_for_registered_or_abstract_no_table(compile_docs) -> None:
    result = compile_docs([cls("N.R", "Property A As %String;"),
                           cls("N.A", extends="%Persistent", keywords="Abstract")])
    assert result.outcomes[0].source is None
    assert "Compiling table N.A" not in result.console


def test_user_package_table_and_sqltablename(compile_docs) -> None:
    result = compile_docs([cls("User.Thing", extends="%Persistent"),
                           cls("My.Pkg.T", extends="%Persistent", keywords="SqlTableName = Tab")])
    assert "Compiling table SQLUser.Thing" in result.console
    assert "Compiling table My_Pkg.Tab" in result.console


def test_long_global_names_are_shortened() -> None:
    name = global_base("HS.AU.Types.HI.Address.AustralianStreetAddressType")
    assert len(name) + 1 == 31
    assert name.startswith("HS.AU.Types") and ".AustralianS" in name
    assert global_base("Demo.Person") == "Demo.Person"
