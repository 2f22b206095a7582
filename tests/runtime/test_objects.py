"""Objects in terminal lines: the system classes implemented in Python (dynamic objects and
arrays, JSON literals, collections, streams, %Status and %SYSTEM.Status, exceptions) and the
object functions ($CLASSNAME, $ISOBJECT, $METHOD, $PROPERTY, $PARAMETER, $CLASSMETHOD).

Each case is (source, exact output or ``[<ERROR>...]``, where the expectation comes from).
Doc keys are InterSystems documentation pages (docs.intersystems.com ``KEY=`` or the class
reference, "Documatic <class>"), found with the search tool; "IRIS" marks behaviour observed
on an IRIS terminal and written down from memory where no page states it (kept few).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.objbase import Obj
from compiler_stub.runtime.process import BufferDevice, Process


def run(lines: list[str] | str, store: Any = None) -> str:
    dev = BufferDevice()
    p = Process("USER", store, lambda n: None, dev)
    for line in [lines] if isinstance(lines, str) else lines:
        try:
            p.execute(line)
        except ObjectScriptError as e:
            dev.write(f"[{e}]")
    return dev.out.replace("\r\n", "\n")


CASES: list[tuple[str, str, str]] = [
    # ---------------------------------------------------------------- JSON literals
    (' set o={} write o.%ToJSON()', "{}", "GJSON_create: empty object literal"),
    (' set a=[] write a.%ToJSON()', "[]", "GJSON_create: empty array literal"),
    (' set o={"a":1,"b":"x"} write o.%ToJSON()', '{"a":1,"b":"x"}',
     "GJSON_create: object literal, keys in insertion order"),
    (' set o={"a":true,"b":false,"c":null} write o.%ToJSON()',
     '{"a":true,"b":false,"c":null}', "GJSON_create: JSON literals true/false/null"),
    (' set o={"a":[1,2,{"c":3}]} write o.%ToJSON()', '{"a":[1,2,{"c":3}]}',
     "GJSON_create: nested literals"),
    (' set x=4 set o={"a":(x*2)} write o.%ToJSON()', '{"a":8}',
     "GJSON_create: ObjectScript expression in parentheses"),
    (' set x="hi" set o={"a":(x)} write o.%ToJSON()', '{"a":"hi"}',
     "GJSON_create: a string expression is a JSON string"),
    (' set a=[1,(2+3),"s"] write a.%ToJSON()', '[1,5,"s"]', "GJSON_create: array literal"),
    (' write {"a":1}.%ToJSON()', '{"a":1}', "GJSON_intro: methods on a literal"),
    (' write [1,2,3].%Size()', "3", "Documatic %Library.DynamicArray: %Size"),
    (' set o={"a":"x\\"y"} write o.a', 'x"y', "GJSON_create: JSON escapes in string literals"),
    (' set o={"a":1.5,"b":-2} write o.a,"|",o.b', "1.5|-2", "GJSON_create: JSON numbers"),
    (' set o={"a":(.5)} write o.%ToJSON()', '{"a":0.5}',
     "GJSON_convert: %ToJSON writes numbers in JSON form (leading zero)"),
    (' set o={"s":("a"_$c(10)_"b")} write o.%ToJSON()', '{"s":"a\\nb"}',
     "GJSON_convert: control characters escaped"),
    # ---------------------------------------------------------------- %DynamicObject
    (' set o={} do o.%Set("k",5) write o.%Get("k")', "5", "Documatic %Library.DynamicObject"),
    (' set o={} write o.%Get("none"),"|"', "|", "Documatic %DynamicObject: %Get of no key"),
    (' set o={} write o.%Get("none","dflt")', "dflt",
     "Documatic %DynamicObject: %Get default argument"),
    (' set o={"a":1} set o.b=2 write o.%ToJSON()', '{"a":1,"b":2}',
     "GJSON_intro: properties of a dynamic object"),
    (' set o={"a":1} write o.a,o.zz,"|"', "1|", "GJSON_intro: an undefined key reads as \"\""),
    (' set o={} do o.%Set("b",1,"boolean") write o.%ToJSON(),o.b', '{"b":true}1',
     "Documatic %DynamicObject: %Set with type boolean"),
    (' set o={} do o.%Set("n","","null") write o.%ToJSON(),o.%GetTypeOf("n")',
     '{"n":null}null', "Documatic %DynamicObject: %Set with type null"),
    (' set o={"a":1,"b":"s","c":true,"d":null,"e":{},"f":[]} '
     'write o.%GetTypeOf("a"),o.%GetTypeOf("b"),o.%GetTypeOf("c"),o.%GetTypeOf("d"),'
     'o.%GetTypeOf("e"),o.%GetTypeOf("f"),o.%GetTypeOf("g")',
     "numberstringbooleannullobjectarrayunassigned", "Documatic %DynamicObject: %GetTypeOf"),
    (' set o={"a":1} write o.%IsDefined("a"),o.%IsDefined("b")', "10",
     "Documatic %DynamicObject: %IsDefined"),
    (' set o={"a":1,"b":2} write o.%Remove("a"),o.%ToJSON(),o.%Size()', '1{"b":2}1',
     "Documatic %DynamicObject: %Remove returns the value"),
    (' set o={"a":1} do o.%Set("a",2) write o.%ToJSON()', '{"a":2}',
     "Documatic %DynamicObject: %Set replaces in place"),
    (' set o={"x":1,"y":"b"},it=o.%GetIterator() while it.%GetNext(.k,.v) { write k,"=",v,";" }',
     "x=1;y=b;", "GJSON_iterate: %GetIterator/%GetNext"),
    (' set o={"x":true},it=o.%GetIterator() do it.%GetNext(.k,.v,.t) write k,v,t',
     "x1boolean", "GJSON_iterate: third argument of %GetNext is the type"),
    (' set o={}.%FromJSON("{""a"":[1,2]}") write o.a.%Get(1),$classname(o.a)',
     "2%Library.DynamicArray", "Documatic %DynamicAbstractObject: %FromJSON"),
    (' set o=##class(%DynamicAbstractObject).%FromJSON("[1,true]") write o.%ToJSON()',
     "[1,true]", "Documatic %DynamicAbstractObject: %FromJSON classmethod"),
    (' set o=##class(%DynamicObject).%New() write $classname(o),o.%ToJSON()',
     "%Library.DynamicObject{}", "Documatic %Library.DynamicObject: %New"),
    (' try { set o={}.%FromJSON("{bad") } catch e { write e.Name,"|",e.Code }',
     "Parsing error|3", "GJSON_convert: a parsing error is thrown (%Exception.General)"),
    (' set o={"a":{"b":{"c":7}}} write o.a.b.c', "7", "GJSON_intro: chained properties"),
    (' set o={"a":1} write $isobject(o),$isobject(o.a)', "10", "RCOS_fisobject"),
    (' set o={} do o.%Set("a",1).%Set("b",2) write o.%ToJSON()', '{"a":1,"b":2}',
     "Documatic %DynamicObject: %Set returns the object (chaining)"),
    (' set o={"a":1},c=o.%ConstructClone() do c.%Set("a",2) write o.a,c.a', "12",
     "Documatic %RegisteredObject: %ConstructClone"),
    # ---------------------------------------------------------------- %DynamicArray
    (' set a=[] do a.%Push(1),a.%Push("two") write a.%ToJSON(),a.%Size()', '[1,"two"]2',
     "Documatic %DynamicArray: %Push"),
    (' set a=[1,2,3] write a.%Pop(),a.%ToJSON()', "3[1,2]", "Documatic %DynamicArray: %Pop"),
    (' set a=[10,20] write a.%Get(0),a.%Get(1),"|",a.%Get(5),"|"', "1020||",
     "Documatic %DynamicArray: %Get (0-based)"),
    (' set a=[] do a.%Set(2,"x") write a.%ToJSON(),a.%Size(),a.%GetTypeOf(0)',
     '[null,null,"x"]3unassigned', "Documatic %DynamicArray: %Set past the end"),
    (' set a=[1,2,3] write a.%Remove(0),a.%ToJSON()', "1[2,3]",
     "Documatic %DynamicArray: %Remove shifts the rest"),
    (' set a=[5,6],it=a.%GetIterator() while it.%GetNext(.k,.v) { write k,":",v," " }',
     "0:5 1:6 ", "GJSON_iterate: arrays iterate by index"),
    (' set a=[1] write a.%IsDefined(0),a.%IsDefined(1)', "10",
     "Documatic %DynamicArray: %IsDefined"),
    (' set a=[] do a.%Push(1,"boolean") write a.%ToJSON()', "[true]",
     "Documatic %DynamicArray: %Push with a type"),
    (' set a=["x",{"k":[]}] write a.%Get(1).k.%Size()', "0", "GJSON_intro: nesting"),
    (' set a=[],o={} do a.%Push(o) set o.z=1 write a.%ToJSON()', '[{"z":1}]',
     "GJSON_intro: elements are references"),
    # ---------------------------------------------------------------- orefs
    (' set o={} write o', "1@%Library.DynamicObject", "GOBJ_oref: n@Class"),
    (' set a={},b={} write a," ",b', "1@%Library.DynamicObject 2@%Library.DynamicObject",
     "GOBJ_oref: numbers in order"),
    (' set a={},b={} kill a set c={} write c', "1@%Library.DynamicObject",
     "GOBJ_oref: a freed number is used again"),
    (' set a={},b=a write a=b', "1", "GOBJ_oref: the same object compares equal"),
    (' set x=5 write x.Name', "[<INVALID OREF>]", "GOBJ_errors: a string is not an oref"),
    (' set x="" do x.Foo()', "[<INVALID OREF>]", "GOBJ_errors"),
    (' write $isobject(""),$isobject(5),$isobject({})', "001", "RCOS_fisobject"),
    # ---------------------------------------------------------------- collections
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert("a"),l.Insert("b") '
     'write l.Count(),l.GetAt(1),l.GetAt(2)', "2ab", "Documatic %Library.ListOfDataTypes"),
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert("a") write l.GetAt(5),"|"', "|",
     "Documatic %ListOfDataTypes: GetAt of no element"),
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert("a"),l.Insert("c") '
     'do l.InsertAt("b",2) write l.GetAt(2),l.Count()', "b3",
     "Documatic %ListOfDataTypes: InsertAt"),
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert("a"),l.Insert("b") '
     'do l.SetAt("z",1) write l.GetAt(1)', "z", "Documatic %ListOfDataTypes: SetAt"),
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert("a"),l.Insert("b") '
     'write l.RemoveAt(1),l.Count(),l.GetAt(1)', "a1b",
     "Documatic %ListOfDataTypes: RemoveAt returns the element"),
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert("a"),l.Insert("b") '
     'write l.Find("b"),"|",l.Find("q"),"|"', "2||", "Documatic %ListOfDataTypes: Find"),
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert(1),l.Insert(2) '
     'set k="" for { set k=l.Next(k) quit:k=""  write k,":",l.GetAt(k)," " }', "1:1 2:2 ",
     "Documatic %ListOfDataTypes: Next"),
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert("x"),l.Insert("y") '
     'set k="" for { set v=l.GetNext(.k) quit:k=""  write v }', "xy",
     "Documatic %ListOfDataTypes: GetNext"),
    (' set l=##class(%ListOfDataTypes).%New() do l.Insert(1) do l.Clear() write l.Count()',
     "0", "Documatic %ListOfDataTypes: Clear"),
    (' set l=##class(%ListOfObjects).%New(),o={"n":1} do l.Insert(o) '
     'write l.GetAt(1).n,l.Find(o)', "11", "Documatic %Library.ListOfObjects"),
    (' set a=##class(%ArrayOfDataTypes).%New() do a.SetAt(1,"b"),a.SetAt(2,"a") '
     'write a.Count(),a.GetAt("a"),a.GetAt("b")', "221", "Documatic %Library.ArrayOfDataTypes"),
    (' set a=##class(%ArrayOfDataTypes).%New() do a.SetAt(1,"b"),a.SetAt(2,"a"),a.SetAt(3,10) '
     'set k="" for { set k=a.Next(k) quit:k=""  write k," " }', "10 a b ",
     "Documatic %ArrayOfDataTypes: keys in collation order"),
    (' set a=##class(%ArrayOfDataTypes).%New() do a.SetAt("v","k") '
     'write a.IsDefined("k"),a.IsDefined("z"),a.RemoveAt("k"),a.Count()', "10v0",
     "Documatic %ArrayOfDataTypes: IsDefined/RemoveAt"),
    (' set a=##class(%ArrayOfDataTypes).%New() do a.SetAt("v","k") '
     'set k="" set x=a.GetNext(.k) write k,x', "kv", "Documatic %ArrayOfDataTypes: GetNext"),
    (' set a=##class(%ArrayOfObjects).%New() do a.SetAt({"q":9},"o") write a.GetAt("o").q',
     "9", "Documatic %Library.ArrayOfObjects"),
    (' set a=##class(%ArrayOfDataTypes).%New() do a.SetAt(5,"x") write a.Find(5)', "x",
     "Documatic %ArrayOfDataTypes: Find returns the key"),
    # ---------------------------------------------------------------- streams
    (' set s=##class(%Stream.TmpCharacter).%New() do s.Write("abc") do s.Rewind() '
     'write s.Read()', "abc", "Documatic %Stream.TmpCharacter: Write/Rewind/Read"),
    (' set s=##class(%Stream.TmpCharacter).%New() do s.Write("abc"),s.Write("def") '
     'write s.Size', "6", "Documatic %Stream.TmpCharacter: Size"),
    (' set s=##class(%Stream.TmpCharacter).%New() do s.WriteLine("l1"),s.WriteLine("l2") '
     'do s.Rewind() write s.ReadLine(),"|",s.ReadLine(),"|",s.AtEnd',
     "l1|l2|1", "Documatic %Stream.TmpCharacter: WriteLine/ReadLine/AtEnd"),
    (' set s=##class(%Stream.TmpCharacter).%New() do s.Write("abcdef"),s.Rewind() '
     'write s.Read(2),"|",s.Read(2),"|",s.AtEnd', "ab|cd|0",
     "Documatic %Stream.TmpCharacter: Read(len)"),
    (' set s=##class(%Stream.TmpCharacter).%New() do s.Write("abc"),s.Rewind() '
     'set n=10,x=s.Read(.n) write x,n', "abc3",
     "Documatic %Stream.Object: Read sets len to the count read"),
    (' set s=##class(%Stream.GlobalCharacter).%New(),t=##class(%Stream.TmpCharacter).%New() '
     'do s.Write("xyz"),t.CopyFrom(s),t.Rewind() write t.Read(),t.Size',
     "xyz3", "Documatic %Stream.Object: CopyFrom"),
    (' set s=##class(%Stream.TmpCharacter).%New() do s.Write("abc"),s.Clear() write s.Size',
     "0", "Documatic %Stream.Object: Clear"),
    (' set s=##class(%Stream.TmpCharacter).%New() do s.Write("out") do s.OutputToDevice()',
     "out", "Documatic %Stream.Object: OutputToDevice"),
    (' set o={"a":1},s=##class(%Stream.TmpCharacter).%New() do o.%ToJSON(s) do s.Rewind() '
     'write s.Read()', '{"a":1}', "Documatic %DynamicAbstractObject: %ToJSON to a stream"),
    # ---------------------------------------------------------------- %Status
    (' set sc=##class(%SYSTEM.Status).Error(5001,"boom") write $piece(sc," ")',
     "0", "GOBJ_status: an error status starts with 0"),
    (' set sc=##class(%SYSTEM.Status).Error(5001,"boom") '
     'write $listget($listget($extract(sc,3,*)),1),"|",$listget($listget($extract(sc,3,*)),2)',
     "5001|boom", "GOBJ_status: 0 followed by $LB($LB(code,args...))"),
    (' set sc=##class(%SYSTEM.Status).Error(5001,"boom") write $system.Status.GetErrorText(sc)',
     "ERROR #5001: boom", "Documatic %SYSTEM.Status: GetErrorText"),
    (' set sc=##class(%SYSTEM.Status).Error(5001,"x") write $system.Status.IsError(sc),'
     '$system.Status.IsOK(sc),$system.Status.IsOK(1),$system.Status.IsError(1)', "1010",
     "Documatic %SYSTEM.Status: IsError/IsOK"),
    (' set sc=$system.Status.Error(5001,"m") do $system.Status.DisplayError(sc)',
     "\nERROR #5001: m", "Documatic %SYSTEM.Status: DisplayError"),
    (' set a=$system.Status.Error(5001,"a"),b=$system.Status.Error(5002,"b") '
     'set c=$system.Status.AppendStatus(a,b) write $system.Status.GetErrorCodes(c)',
     "5001,5002", "Documatic %SYSTEM.Status: AppendStatus keeps both errors"),
    (' set a=$system.Status.Error(5001,"a") write $system.Status.AppendStatus(1,a)=a,'
     '$system.Status.AppendStatus(1,1)', "11", "Documatic %SYSTEM.Status: AppendStatus"),
    (' write $system.Status.OK()', "1", "Documatic %SYSTEM.Status: OK"),
    (' set sc=$system.Status.Error(5002,"<DIVIDE>") write $system.Status.GetErrorText(sc)',
     "ERROR #5002: ObjectScript error: <DIVIDE>", "GOBJ_status: message of code 5002"),
    (' set sc=##class(%SYSTEM.Status).Error(5001,"a") write $$GetErrorCode^%apiOBJ(sc)',
     "5001", "%occStatus.inc: $$$GETERRORCODE"),
    (' set sc=$$Error^%apiOBJ(5001,"mac") write $system.Status.GetErrorText(sc)',
     "ERROR #5001: mac", "%occStatus.inc: $$$ERROR expands to $$Error^%apiOBJ"),
    # ---------------------------------------------------------------- exceptions
    (' try { write 1/0 } catch e { write $classname(e) }', "%Exception.SystemException",
     "Documatic %Exception.SystemException: the CATCH object of a system error"),
    (' try { write 1/0 } catch e { write e.Name,"|",e.Code }', "<DIVIDE>|18",
     "Documatic %Exception.SystemException: Name and Code"),
    (' try { write x } catch e { write e.Data }', "x",
     "Documatic %Exception.SystemException: Data names the variable"),
    (' try { write 1/0 } catch e { write e.%IsA("%Exception.AbstractException") }', "1",
     "Documatic %Exception.SystemException extends AbstractException"),
    (' try { write 1/0 } catch e { set sc=e.AsStatus() write $system.Status.GetErrorText(sc) }',
     "ERROR #5002: ObjectScript error: <DIVIDE>",
     "Documatic %Exception.AbstractException: AsStatus (ObjectScript error)"),
    (' try { write 1/0 } catch e { write e.AsSystemError() }', "<DIVIDE>",
     "Documatic %Exception.SystemException: AsSystemError, the $ZE form"),
    (' set e=##class(%Exception.General).%New("MyErr",42,"here","d") '
     'write e.Name,e.Code,e.Location,e.Data', "MyErr42hered",
     "Documatic %Exception.General: %New(Name,Code,Location,Data)"),
    (' set e=##class(%Exception.General).%New("E",1,,"x") write e.DisplayString()',
     "E 1  x", "Documatic %Exception.AbstractException: DisplayString"),
    (' set e=##class(%Exception.General).%New("E",1,,"x") '
     'write $system.Status.GetErrorText(e.AsStatus())',
     "ERROR #5035: General exception Name 'E' Code '1' Data 'x'",
     "Documatic %Exception.General: AsStatus (code 5035)"),
    (' set sc=$system.Status.Error(5001,"st") '
     'try { throw ##class(%Exception.StatusException).CreateFromStatus(sc) } '
     'catch e { write $classname(e),"|",e.Code,"|",e.DisplayString() }',
     "%Exception.StatusException|5001|ERROR #5001: st",
     "Documatic %Exception.StatusException: CreateFromStatus"),
    (' set sc=$system.Status.Error(5001,"st"),e=##class(%Exception.StatusException)'
     '.CreateFromStatus(sc) write e.AsStatus()=sc', "1",
     "Documatic %Exception.StatusException: AsStatus gives the status back"),
    (' try { throw ##class(%Exception.General).%New("G",2) } catch e { write e.Log() }', "1",
     "Documatic %Exception.AbstractException: Log"),
    (' set e=##class(%Exception.General).%New("E") set e.Code=9 write e.Code', "9",
     "Documatic %Exception.AbstractException: properties are settable"),
    (' set e=##class(%Exception.General).%New("E") write e.Nope',
     "[<PROPERTY DOES NOT EXIST> *Nope,%Exception.General]", "GOBJ_errors"),
    (' try { try { write 1/0 } catch a { throw a } } catch b { write b.Name }', "<DIVIDE>",
     "RCOS_cthrow: rethrow of the caught object"),
    (' write 1 throw ##class(%Exception.SystemException).%New("<DIVIDE>",18,"","")',
     "1[<DIVIDE>]", "RCOS_cthrow: an uncaught system exception is its error"),
    # ---------------------------------------------------------------- functions
    (' set o={} write $classname(o)', "%Library.DynamicObject", "RCOS_fclassname"),
    (' write $classname(5),"|"', "|", "RCOS_fclassname: not an oref"),
    (' write $classname(),"|"', "|", "RCOS_fclassname: no class context at the top"),
    (' set o={"a":3} write $property(o,"a")', "3", "RCOS_fproperty"),
    (' set o={} set $property(o,"a")=4 write o.a', "4", "RCOS_fproperty: as a SET target"),
    (' set a=[1,2] write $method(a,"%Size")', "2", "RCOS_fmethod"),
    (' set o=$classmethod("%Library.DynamicObject","%New") write $classname(o)',
     "%Library.DynamicObject", "RCOS_fclassmethod"),
    (' write $classmethod("%SYSTEM.Status","IsOK",1)', "1", "RCOS_fclassmethod"),
    (' write $classmethod("No.Such","X")', "[<CLASS DOES NOT EXIST> *No.Such]",
     "RCOS_fclassmethod: missing class"),
    (' set a=[1,2] do $method(a,"%Push",3) write a.%Size()', "3",
     "RCOS_fmethod: invoked with DO, the value (if any) is dropped"),
    (' set a=[] do:0 $method(a,"%Push",3) write a.%Size()', "0",
     "RCOS_cdo: postconditional on DO $METHOD"),
    (' do $classmethod("%SYSTEM.Status","IsOK",1) write "done"', "done",
     "RCOS_fclassmethod: invoked with DO"),
    (' set a=[] do $method(a,"Nope")', "[<METHOD DOES NOT EXIST> *Nope,%Library.DynamicArray]",
     "RCOS_fmethod: a method the class lacks"),
    (' write ##class(%DynamicObject).NoSuch()',
     "[<METHOD DOES NOT EXIST> *NoSuch,%Library.DynamicObject]", "GOBJ_errors"),
    (' write $parameter("%Library.DynamicObject","NONE"),"|"', "|",
     "RCOS_fparameter: no such parameter is \"\""),
    (' set o={} write o.%ClassName(),"|",o.%ClassName(1),"|",o.%PackageName()',
     "DynamicObject|%Library.DynamicObject|%Library", "Documatic %Library.Base: %ClassName"),
    (' set o={} write o.%IsA("%Library.DynamicAbstractObject"),o.%IsA("%Library.DynamicArray")',
     "10", "Documatic %Library.Base: %IsA"),
    (' set o={} write o.%Extends("%Library.RegisteredObject")', "1",
     "Documatic %Library.Base: %Extends"),
    (' write $this,"|"', "|", "RCOS_vthis: no object at the top level"),
    (' write ..Foo()', "[<NO CURRENT OBJECT>]", "GOBJ_errors: no $THIS in the terminal"),
]


@pytest.mark.parametrize(("src", "expected", "origin"), CASES, ids=[c[0][:60] for c in CASES])
def test_object_cases(src: str, expected: str, origin: str) -> None:
    assert origin
    assert run(src) == expected


def test_orefs_are_freed_when_unreferenced() -> None:
    # GOBJ_oref: an object lives while a variable refers to it (Python's count stands in)
    dev = BufferDevice()
    p = Process("USER", None, lambda n: None, dev)
    p.execute(" set a={} kill a set b={}")
    node = p.sym.lookup("b")
    assert node is not None
    obj = node.value
    assert isinstance(obj, Obj) and obj.num == 1


def test_catch_object_of_a_routine_error_has_the_location(tmp_path: Path) -> None:
    # Documatic %Exception.SystemException: Location is "label+offset^routine"
    rts = {"R": "R ;\nf try { set x=1/0 } catch e { write e.Location,\"|\",e.Name }\n quit"}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev)
    p.execute(" do f^R")
    assert dev.out == "f^R|<DIVIDE>"


def test_status_zwrite_form() -> None:
    # GOBJ_status: the list inside an error status is $LB($LB(code, args))
    from compiler_stub.runtime import lists
    from compiler_stub.runtime.status import error, error_text, errors_of
    sc = error(5001, "x")
    assert sc == "0 " + lists.listbuild(lists.listbuild(5001, "x"))
    assert errors_of(sc) == [[5001, "x"]]
    assert error_text(1) == ""


def test_globals_store_is_optional_for_terminal_objects(tmp_path: Path) -> None:
    store = GlobalStore(str(tmp_path / "g.sqlite"))
    assert run(' set o={"a":1} write o.a', store) == "1"
