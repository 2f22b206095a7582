"""Multidimensional properties (``Property P [ MultiDimensional ]``): the property is an array
used like a local variable, from instance methods (``..P(subs)``, ``i%P(subs)``) and from
outside (``obj.P(subs)``), never saved by ``%Save``.

Classes run as in test_classes.py: UDL texts read with ``compiler_stub.reading``, their INT
code generated with ``class_routine``, a ``Process`` loading the models. Each case is
(terminal lines, exact output with errors as ``[<ERROR>...]``, origin). Origins:

- ROBJ_property_multidimensional: the keyword's reference page (no property methods, ignored
  by validation and ``%Save``, "automatically Transient").
- RCOS_forder / RCOS_fquery: "you can specify a multidimensional property reference ... with
  the syntax obj.property"; ``$QUERY`` of a non-multidimensional property is
  ``<OBJECT DISPATCH>``.
- RCOS_fproperty: ``$PROPERTY(oref, name, index...)`` indexes a multidimensional property;
  an index on any other property is ``<OBJECT DISPATCH>``.
- OS0103: the objectscriptQuality rule "Object property must be MultiDimensional on $GET and
  $DATA" (``<OBJECT DISPATCH>`` otherwise).
- GOBJ_dispatch: "a multidimensional property reference is identical to a method call"
  (Using Caché Objects, dynamic dispatch, %DispatchSetMultidimProperty).
- DC "The spooky ascetic Property" (community.intersystems.com, 2023): the property "is just
  not there" until the first SET; ``$DATA``, ``$GET``, ``$INCREMENT``, ``MERGE``, ``KILL``,
  ``SET $PIECE`` work on it as on a local variable.
- UNCONFIRMED: no page states it; the runtime's choice, kept consistent with local variables
  (the error detail names the property like a variable: ``*Cells(99)``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.classbed import Workspace

GRID = """
Class Demo.Grid Extends %RegisteredObject
{

Property Cells [ MultiDimensional ];

Property Tags As %String [ Multidimensional ];

Property Seed [ InitialExpression = "s", MultiDimensional ];

Property Name As %String [ InitialExpression = "grid" ];

Method Fill()
{
    set ..Cells(1)="a", ..Cells(2,"x")=5, ..Cells(10)="ten", ..Cells="top"
}

Method Walk(dir As %Integer = 1) As %String
{
    set out="", k=""
    for {
        set k=$order(..Cells(k),dir)
        quit:k=""
        set out=out_k_" "
    }
    quit out
}

Method Nodes() As %String
{
    set out=$query(..Cells(""))_" "_$query(..Cells(1))_" "_$query(..Cells(2,"x"))
    quit out_" "_$query(..Cells(10),-1)_" "
}

Method Data(s As %String) As %String
{
    quit $data(..Cells(s))
}

Method Get() As %String
{
    quit $get(..Cells(9),"d")_"|"_$get(..Cells(1),"d")
}

Method Bump() As %String
{
    quit $increment(..Cells("n"))_","_$increment(..Cells("n"),10)
}

Method KillOne()
{
    kill ..Cells(2)
}

Method KillAll()
{
    kill ..Cells
}

Method CopyOut() As %String
{
    merge x=..Cells
    quit $get(x)_"|"_$get(x(2,"x"))_"|"_$order(x(""),-1)
}

Method CopyIn()
{
    set y(5)="five", y(6,1)="six"
    merge ..Cells=y
}

Method Top() As %String
{
    quit ..Cells
}

Method Missing() As %String
{
    quit ..Cells(99)
}

Method Outer() As %String
{
    do ..Fill()
    quit ..Inner()
}

Method Inner() As %String
{
    quit ..Cells(1)_..Cells(2,"x")
}

Method IVars() As %String
{
    set i%Tags(1)="t"
    quit i%Tags(1)_$data(i%Tags)_$data(..Tags(1))
}

Method Piece() As %String
{
    set ..Cells(1)="a,b,c"
    set $piece(..Cells(1),",",2)="B"
    quit ..Cells(1)
}

Method BadSub()
{
    set ..Name(1)=2
}

ClassMethod NoThis() As %String
{
    quit ..Cells(1)
}

}
"""

KEPT = """
Class Demo.Kept Extends %Persistent
{

Property Title As %String;

Property Scratch [ MultiDimensional ];

Property Qty As %Integer;

}
"""

# a hand-written storage that lists the multidimensional property anyway
LISTED = """
Class Demo.Listed Extends %Persistent
{

Property Title As %String;

Property Work [ MultiDimensional ];

Storage Default
{
<Data name="ListedDefaultData">
<Value name="1">
<Value>%%CLASSNAME</Value>
</Value>
<Value name="2">
<Value>Title</Value>
</Value>
<Value name="3">
<Value>Work</Value>
</Value>
</Data>
<DataLocation>^Demo.ListedD</DataLocation>
<DefaultData>ListedDefaultData</DefaultData>
<IdLocation>^Demo.ListedD</IdLocation>
<IndexLocation>^Demo.ListedI</IndexLocation>
<StreamLocation>^Demo.ListedS</StreamLocation>
<Type>%Storage.Persistent</Type>
}

}
"""

WS = Workspace(GRID, KEPT, LISTED)

G = ' set g=##class(Demo.Grid).%New()'
F = G + ' do g.Fill()'

CASES: list[tuple[list[str] | str, str, str]] = [
    # ---------------------------------------------------------------- inside the class
    (F + ' write g.Walk()', "1 2 10 ",
     "RCOS_forder: $ORDER(..P(k)) walks the property's subscripts in local collation"),
    (F + ' write g.Walk(-1)', "10 2 1 ", "RCOS_forder: direction -1"),
    (F + ' write g.Nodes()', 'Cells(1) Cells(2,"x") Cells(10) Cells(2,"x") ',
     "RCOS_fquery: $QUERY gives the next defined node depth first (-1: the previous one); "
     "UNCONFIRMED: the name it returns is the bare property name"),
    (F + ' write g.Data(1),g.Data(2),g.Data(3)', "1100",
     "DC spooky property: $DATA of a node 1 (value) / 10 (descendants) / 0"),
    (F + ' write g.Get()', "d|a", "DC spooky property: $GET(..P(s), default)"),
    (G + ' write g.Bump()', "1,11",
     "DC spooky property: $INCREMENT of an undefined node starts from 0"),
    (F + ' do g.KillOne() write $data(g.Cells(2)),$data(g.Cells(2,"x")),$data(g.Cells(1))',
     "001", "DC spooky property: KILL ..P(s) removes the node and its descendants"),
    (F + ' do g.KillAll() write $data(g.Cells),$data(g.Cells(1))', "00",
     "DC spooky property: KILL ..P removes the whole array, top node included"),
    (F + ' write g.CopyOut()', "top|5|10",
     "DC spooky property: MERGE x=..P copies the top node and every subscript"),
    (G + ' do g.CopyIn() write g.Cells(5),g.Cells(6,1),$data(g.Cells)', "fivesix10",
     "DC spooky property: MERGE ..P=y"),
    (F + ' write g.Top()', "top", "ROBJ_property_multidimensional: the top node ..P"),
    (F + ' write g.Outer()', "a5",
     "GOBJ_methods: ..P(s) in a method called with do ..Method() on the same object"),
    (G + ' write g.IVars()', "t101",
     "ROBJ_property_multidimensional: i%P(s) is the same array as ..P(s)"),
    (G + ' write g.Piece()', "a,B,c", "DC spooky property: SET $PIECE(..P(s),d,n)=v"),
    (F + ' do g.Missing()',
     "[<UNDEFINED>zMissing+1^Demo.Grid.1 *Cells(99)]",
     "RCOS: an undefined node is <UNDEFINED> as for a local; UNCONFIRMED: the detail text "
     "*Cells(99)"),
    # ---------------------------------------------------------------- from outside
    (G + ' set g.Cells(1,"a")=5 write g.Cells(1,"a"),$data(g.Cells(1)),$data(g.Cells)',
     "51010", "GOBJ_dispatch: obj.P(subs) is a SET target and a value"),
    (F + ' set k="" for { set k=$order(g.Cells(k)) quit:k=""  write k,"=",$get(g.Cells(k)),";" }',
     "1=a;2=;10=ten;", "RCOS_forder: $ORDER(obj.P(\"\")) from outside the class"),
    (F + ' write $query(g.Cells(2)),"|",$query(g.Cells(10)),"|"', 'Cells(2,"x")||',
     "RCOS_fquery: $QUERY(obj.P(s)); \"\" after the last node (name UNCONFIRMED as above)"),
    (F + ' write $order(g.Cells(""),-1,v)," ",v', "10 ten",
     "RCOS_forder: the third argument receives the node's value"),
    (F + ' set x=g.Cells write x,$data(x)', "top1",
     "ROBJ_property_multidimensional: SET x=obj.P copies the top node's value only"),
    (F + ' set g.Cells="new" write g.Cells,g.Cells(1)', "newa",
     "DC spooky property: SET obj.P=v sets the top node, the subscripts stay"),
    (G + ' write $data(g.Cells),$data(g.Seed),g.Seed', "01s",
     "DC spooky property: undefined until set; UNCONFIRMED: an InitialExpression "
     "gives the top node its value"),
    (G + ' write g.Cells', "[<UNDEFINED> *Cells]",
     "DC spooky property: the top node is undefined until set; UNCONFIRMED: detail text"),
    (G + ' write g.Cells(3)', "[<UNDEFINED> *Cells(3)]",
     "UNCONFIRMED: the detail of an undefined node read from outside"),
    (G + ' set $property(g,"Cells",4)="p4" write $property(g,"Cells",4),g.Cells(4)', "p4p4",
     "RCOS_fproperty: index arguments address a multidimensional property (get and SET)"),
    (G + ' set g.Cells(2)=1,g.Cells(1)=2,g.Cells("b")=3,g.Cells(-1.5)=4 '
     'set k="" for { set k=$order(g.Cells(k)) quit:k=""  write k," " }',
     "-1.5 1 2 b ", "RCOS_forder: subscripts in local collation (numbers first, then strings)"),
    (F + ' set c=g.%ConstructClone() set c.Cells(1)="z" write g.Cells(1),c.Cells(1),c.Cells(10)',
     "azten", "Documatic %RegisteredObject: %ConstructClone; UNCONFIRMED: the clone gets "
     "its own copy of the array"),
    # ---------------------------------------------------------------- errors
    (G + ' write $data(g.Name)', "[<OBJECT DISPATCH> *Name,Demo.Grid]",
     "OS0103: $DATA of a non-multidimensional property; UNCONFIRMED: detail text"),
    (G + ' write $get(g.Name,"d")', "[<OBJECT DISPATCH> *Name,Demo.Grid]",
     "OS0103: $GET of a non-multidimensional property"),
    (G + ' write $query(g.Name(1))', "[<OBJECT DISPATCH> *Name,Demo.Grid]",
     "RCOS_fquery: $QUERY of a non-multidimensional property"),
    (G + ' write $property(g,"Name",1)', "[<OBJECT DISPATCH> *Name,Demo.Grid]",
     "RCOS_fproperty: an index on a non-multidimensional property"),
    (G + ' set g.Name(1)=2', "[<OBJECT DISPATCH> *Name,Demo.Grid]",
     "UNCONFIRMED: SET of a subscripted non-multidimensional property"),
    (G + ' do g.BadSub()', "[<OBJECT DISPATCH>zBadSub+1^Demo.Grid.1 *Name,Demo.Grid]",
     "UNCONFIRMED: SET ..Prop(s) of a non-multidimensional property, inside the class"),
    (G + ' write g.Name(1)', "[<OBJECT DISPATCH> *Name,Demo.Grid]",
     "UNCONFIRMED: reading obj.Prop(s) of a non-multidimensional property"),
    (G + ' write g.Nope(1)', "[<METHOD DOES NOT EXIST> *Nope,Demo.Grid]",
     "GOBJ_dispatch: obj.X(s) is a method call when X is no property"),
    (G + ' write $data(g.Nope(1))', "[<PROPERTY DOES NOT EXIST> *Nope,Demo.Grid]",
     "GOBJ_errors: a reference to a property the class does not have"),
    (' write ##class(Demo.Grid).NoThis()', "[<NO CURRENT OBJECT>zNoThis+1^Demo.Grid.1]",
     "UNCONFIRMED (IRIS refuses it when compiling): ..P(s) in a class method"),
    (' set x=5 write $data(x.P(1))', "[<INVALID OREF>]",
     "GOBJ_errors: a property reference on a value that is no oref"),
]


@pytest.mark.parametrize(("src", "expected", "origin"), CASES,
                         ids=[str(c[0])[:70] for c in CASES])
def test_multidim_cases(tmp_path: Path, src: list[str] | str, expected: str, origin: str) -> None:
    assert origin
    assert WS.run(tmp_path, src) == expected


# ------------------------------------------------------------------ %Save

def test_save_skips_the_multidimensional_property(tmp_path: Path) -> None:
    # ROBJ_property_multidimensional: "ignored when the object is validated or saved",
    # "not saved to disk"; compiler.md §4.5: the default storage lists it not
    p = WS.process(tmp_path)
    p.execute(' set k=##class(Demo.Kept).%New() set k.Title="T",k.Qty=3 '
              'set k.Scratch=1,k.Scratch(1)="x" write k.%Save()')
    p.execute(' write "|",$listlength(^Demo.KeptD(1)),"|",$listtostring(^Demo.KeptD(1),"/",1)')
    assert p.device.take() == "1|3|/T/3"  # type: ignore[attr-defined]


def test_open_id_gives_an_empty_multidimensional_property(tmp_path: Path) -> None:
    # ROBJ_property_multidimensional: not loaded either; the opened object starts without it
    p = WS.process(tmp_path)
    p.execute(' set k=##class(Demo.Kept).%New() set k.Title="T",k.Scratch(1)="x" do k.%Save()')
    p.execute(' kill k set o=##class(Demo.Kept).%OpenId(1) write o.Title,$data(o.Scratch)')
    p.execute(' set o.Scratch(2)="y" write "|",o.Scratch(2)')
    assert p.device.take() == "T0|y"  # type: ignore[attr-defined]


def test_a_storage_listing_the_property_stores_nothing_for_it(tmp_path: Path) -> None:
    # a hand-written storage naming the property: its slot stays empty, %OpenId leaves the
    # array alone (ROBJ_property_multidimensional: never saved)
    p = WS.process(tmp_path)
    p.execute(' set l=##class(Demo.Listed).%New() set l.Title="L",l.Work=7,l.Work(1)=8 '
              'write l.%Save()')
    p.execute(' write "|",$listtostring(^Demo.ListedD(1),"/",1)')
    p.execute(' set o=##class(Demo.Listed).%OpenId(1) write "|",o.Title,$data(o.Work)')
    assert p.device.take() == "1|/L/|L0"  # type: ignore[attr-defined]


def test_each_object_has_its_own_array(tmp_path: Path) -> None:
    # ROBJ_property_multidimensional: the array belongs to the instance, like any property
    p = WS.process(tmp_path)
    p.execute(' set a=##class(Demo.Grid).%New(),b=##class(Demo.Grid).%New() '
              'set a.Cells(1)="A",b.Cells(1)="B" write a.Cells(1),b.Cells(1)')
    assert p.device.take() == "AB"  # type: ignore[attr-defined]
