"""Classes and objects for a ``Process``: the class loader, method dispatch, properties,
parameters, ``%New``, ``$THIS``, ``##super()``, and the system classes every object inherits
(``%Library.RegisteredObject``, ``%Library.Persistent``, ``%Exception.*``).

``ObjectWorld(P, load_class)`` belongs to one process. ``load_class(name)`` gives the class's
model (``compiler_stub.reading.model.ClassModel``) or None; a class without text whose
``<Class>.1`` routine exists is still callable (its labels are its class methods). System
classes (``objbase.NATIVE``) are never loaded.

How an instance method runs: IRIS passes the object implicitly. Here ``call_method`` sets the
process's ``cur_this`` (what ``$THIS`` and ``..member`` read) and ``cur_ctx`` (the class whose
code runs and the method name, for ``##super()``) around the call of label ``z<Method>`` and
restores them when it returns. A class method runs with ``cur_this`` the class name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# dynamic, oscollections and streams declare their system classes when imported
from compiler_stub.runtime import dynamic as _dynamic  # noqa: F401
from compiler_stub.runtime import lists
from compiler_stub.runtime import oscollections as _collections  # noqa: F401
from compiler_stub.runtime import streams as _streams  # noqa: F401
from compiler_stub.runtime import unittests as _unittests  # noqa: F401
from compiler_stub.runtime import values as V
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.frames import ERROR_NUMBERS
from compiler_stub.runtime.objbase import (
    NATIVE,
    MethodDef,
    Numbers,
    Obj,
    PropDef,
    RClass,
    arg,
    check_args,
    full_class_name,
    native,
    native_class,
    out,
)
from compiler_stub.runtime.persistence import (
    add_index_methods,
    build_indices,
    class_info,
    id_of,
    id_subscripts,
    id_value,
    purge_indices,
    read_storage,
    read_stored,
    row_class,
    storage_of,
    unique_clash,
    update_index,
    validate,
)
from compiler_stub.runtime.persistence import is_stored as _stored
from compiler_stub.runtime.status import error as status_error
from compiler_stub.runtime.status import errors_of, is_error, one_text
from compiler_stub.runtime.streams import (
    StreamObj,
    delete_stream,
    is_stream_class,
    load_stream,
    save_stream,
)
from compiler_stub.runtime.variables import Node

ClassLoader = Callable[[str], Any]


def _err(code: str, detail: str = "") -> ObjectScriptError:
    return ObjectScriptError(code, detail)


def _no_method(name: str, cls: str) -> ObjectScriptError:
    return _err("METHOD DOES NOT EXIST", f"*{name},{cls}")


def _no_property(name: str, cls: str) -> ObjectScriptError:
    return _err("PROPERTY DOES NOT EXIST", f"*{name},{cls}")


def _literal(text_: str) -> Any:
    """The value of a literal as a class text writes it (a number or a quoted string), or
    None when it is an expression."""
    t = text_.strip()
    if len(t) >= 2 and t[0] == '"' and t[-1] == '"' and '"' not in t[1:-1].replace('""', ""):
        return t[1:-1].replace('""', '"')
    if t and V.is_canonic(t):
        return V.num(t)
    if t.startswith(("-", "+", ".")) or t[:1].isdigit():
        try:
            if V.to_str(V.num(t)) == t.lstrip("+") or t.lstrip("+-").replace(".", "", 1).isdigit():
                return V.num(t)
        except ObjectScriptError:
            return None
    return None


# --------------------------------------------------------------------------- the world

class ObjectWorld:
    """The classes and objects of one process."""

    def __init__(self, P: Any, load_class: ClassLoader | None = None) -> None:
        self.P = P
        self.load_class = load_class
        self.classes: dict[str, RClass] = {}
        self.numbers = Numbers()

    # ------------------------------------------------------------------ classes

    def get(self, name: str) -> RClass:
        """The class ``name`` (``<CLASS DOES NOT EXIST>`` when there is none)."""
        full = full_class_name(name)
        rc = NATIVE.get(full)
        if rc is not None:
            if not rc.resolved:
                self._resolve(rc)
            return rc
        model = self.load_class(full) if self.load_class is not None else None
        cached = self.classes.get(full)
        if model is None:
            if cached is not None and cached.routine_only:
                return cached
            try:
                self.P.routine(full + ".1")
            except ObjectScriptError as e:
                if e.code == "NOROUTINE":
                    raise _err("CLASS DOES NOT EXIST", f"*{full}") from None
                raise
            rc = RClass(full, ("%Library.RegisteredObject",), routine_only=True)
        else:
            if cached is not None and cached.model is model:
                return cached
            rc = self._from_model(full, model)
        self.classes[full] = rc
        self._resolve(rc)
        return rc

    def exists(self, name: str) -> bool:
        try:
            self.get(name)
        except ObjectScriptError:
            return False
        return True

    def _from_model(self, full: str, model: Any) -> RClass:
        pkg = full.rpartition(".")[0]
        supers = tuple(self._super_name(s, pkg, model) for s in model.supers)
        rc = RClass(full, supers, model=model)
        for m in model.members:
            if m.kind in ("method", "classmethod"):
                rc.own_methods[m.name] = MethodDef(m.name, full, m.kind, None, len(m.args))
            elif m.kind == "property":
                init = m.kw("InitialExpression")
                rc.own_props[m.name] = PropDef(
                    m.name, full, full_class_name(m.type) if m.type else "", m.collection,
                    init, m.flag("MultiDimensional"), m.flag("Transient"),
                    m.flag("Calculated"))
            elif m.kind == "relationship":
                rc.own_props[m.name] = PropDef(m.name, full, m.type)
            elif m.kind == "parameter":
                rc.own_params[m.name] = m.default
        rc.storage = read_storage(model)
        add_index_methods(rc, model)
        return rc

    @staticmethod
    def _super_name(name: str, pkg: str, model: Any) -> str:
        name = name.strip()
        if name.startswith("%") or "." in name:
            return full_class_name(name)
        for imp in getattr(model, "imports", ()) or ():
            if imp == "%Library":
                return "%Library." + name
        return f"{pkg}.{name}" if pkg else name

    def _resolve(self, rc: RClass) -> None:
        """The inheritance order (left to right, depth first: the first superclass wins)
        and the members it gives."""
        order: list[RClass] = [rc]
        seen = {rc.name}
        rc.resolved = True  # guards a cycle in broken class texts

        def visit(c: RClass) -> None:
            for s in c.supers:
                if s in seen:
                    continue
                seen.add(s)
                sc = self.get(s)
                order.append(sc)
                visit(sc)
        visit(rc)
        rc.mro = order
        methods: dict[str, MethodDef] = {}
        props: dict[str, PropDef] = {}
        params: dict[str, tuple[str, str]] = {}
        for c in reversed(order):
            methods.update(c.own_methods)
            props.update(c.own_props)
            params.update({k: (c.name, v) for k, v in c.own_params.items()})
        rc.methods, rc.props, rc.params = methods, props, params
        rc.param_values.clear()
        rc.accessors.clear()

    def find_method(self, rc: RClass, name: str) -> MethodDef | None:
        m = rc.methods.get(name)
        if m is None and rc.routine_only:
            labels = self.P.routine(rc.name + ".1").labels
            if "z" + name in labels:
                m = rc.methods[name] = MethodDef(name, rc.name, "classmethod")
        return m

    # ------------------------------------------------------------------ calls

    def run(self, this: Any, rc: RClass, m: MethodDef, want: bool, args: tuple[Any, ...],
            ctx_cls: RClass | None = None) -> Any:
        """Run method ``m`` with ``this`` (an object, or the class name)."""
        P = self.P
        if m.fn is not None:
            r = m.fn(P, this, *args)
            return "" if r is None and want else r
        rtn = P.routine(m.owner + ".1")
        entry = rtn.labels.get("z" + m.name)
        if entry is None:
            raise _no_method(m.name, rc.name)
        saved = P.cur_this, P.cur_ctx
        P.cur_this = this
        P.cur_ctx = (m.owner, m.name)
        try:
            return P.call_fn(entry.fn, rtn.name, "z" + m.name, want, True, *args)
        finally:
            P.cur_this, P.cur_ctx = saved

    def class_call(self, cls: str, method: str, want: bool, args: tuple[Any, ...]) -> Any:
        """``##class(cls).method(args)``."""
        rc = self.get(cls)
        m = self.find_method(rc, method)
        if m is None:
            raise _no_method(method, rc.name)
        if m.kind != "classmethod" and not rc.routine_only:
            raise _no_method(method, rc.name)
        return self.run(rc.name, rc, m, want, args)

    def call_method(self, obj: Any, name: str, want: bool, args: tuple[Any, ...]) -> Any:
        """``obj.name(args)``."""
        if not isinstance(obj, Obj):
            raise _err("INVALID OREF")
        rc = obj.cls
        m = rc.methods.get(name)
        if m is None:
            if name in rc.props:
                # no method of that name: a subscripted property reference (GOBJ: a
                # multidimensional property reference has the form of a method call)
                return self.md_node(obj, name).get(md_subs(args))
            raise _no_method(name, rc.name)
        if m.kind == "classmethod":
            return self.run(rc.name, rc, m, want, args)
        return self.run(obj, rc, m, want, args)

    def rel_method(self, name: str, want: bool, args: tuple[Any, ...]) -> Any:
        """``..name(args)``: a method of the current object or class."""
        this = self.P.cur_this
        if isinstance(this, Obj):
            return self.call_method(this, name, want, args)
        if this == "" or not isinstance(this, str):
            raise _err("NO CURRENT OBJECT")
        rc = self.get(this)
        m = self.find_method(rc, name)
        if m is None:
            if name in rc.props:
                raise _err("NO CURRENT OBJECT")
            raise _no_method(name, rc.name)
        if m.kind != "classmethod" and not rc.routine_only:
            raise _err("NO CURRENT OBJECT")
        return self.run(this, rc, m, want, args)

    def super_call(self, want: bool, args: tuple[Any, ...]) -> Any:
        """``##super(args)``: the same method as inherited by the class whose code runs."""
        ctx = self.P.cur_ctx
        if ctx is None:
            raise _err("METHOD DOES NOT EXIST", "*##super")
        owner_name, mname = ctx
        owner = self.get(owner_name)
        for c in owner.mro[1:]:
            m = c.own_methods.get(mname)
            if m is not None:
                this = self.P.cur_this
                rc = this.cls if isinstance(this, Obj) else owner
                return self.run(this, rc, m, want, args)
        if mname in _NOOP_CALLBACKS:
            return 1
        raise _no_method(mname, owner_name)

    # ------------------------------------------------------------------ properties

    def _accessor(self, rc: RClass, prop: str, kind: str) -> MethodDef | None:
        key = (prop, kind)
        if key in rc.accessors:
            return rc.accessors[key]
        m = rc.methods.get(prop + kind)
        found = m if m is not None and m.fn is None else None
        rc.accessors[key] = found
        return found

    def get_prop(self, obj: Any, name: str) -> Any:
        if not isinstance(obj, Obj):
            raise _err("INVALID OREF")
        rc = obj.cls
        pd = rc.props.get(name)
        if pd is not None and pd.multidimensional:
            # the top node, like an unsubscripted local (no property methods: ROBJ)
            return self.md_node(obj, name).get(())
        acc = self._accessor(rc, name, "Get")
        if acc is not None:
            return self.run(obj, rc, acc, True, ())
        if pd is not None and not rc.native:
            v = obj.props.get(name, "")
            if v is None:
                v = obj.props[name] = self.collection_for(pd)
            return v
        return obj.os_get(name)

    def set_prop(self, obj: Any, name: str, value: Any) -> None:
        if not isinstance(obj, Obj):
            raise _err("INVALID OREF")
        rc = obj.cls
        pd = rc.props.get(name)
        if pd is not None and pd.multidimensional:
            self.md_node(obj, name).value = value   # the top node; subscripts stay
            return
        acc = self._accessor(rc, name, "Set")
        if acc is not None:
            self.run(obj, rc, acc, False, (value,))
            return
        if pd is not None and not rc.native:
            obj.props[name] = value
            return
        obj.os_set(name, value)

    def ivar(self, name: str) -> Any:
        """``i%name``: the stored value, no accessor."""
        this = self.P.cur_this
        if not isinstance(this, Obj):
            raise _err("NO CURRENT OBJECT")
        if name not in this.cls.props:
            raise _no_property(name, this.cls.name)
        if this.cls.props[name].multidimensional:
            return self.md_node(this, name).get(())
        v = this.props.get(name, "")
        if v is None:
            v = this.props[name] = self.collection_for(this.cls.props[name])
        return v

    def set_ivar(self, name: str, value: Any) -> None:
        this = self.P.cur_this
        if not isinstance(this, Obj):
            raise _err("NO CURRENT OBJECT")
        if name not in this.cls.props:
            raise _no_property(name, this.cls.name)
        if this.cls.props[name].multidimensional:
            self.md_node(this, name).value = value
            return
        this.props[name] = value

    def md_node(self, obj: Any, name: str) -> Node:
        """The array of multidimensional property ``name`` of ``obj``: a ``Node`` named
        after the property, used like a local variable (``SET``, ``$DATA``, ``$ORDER``,
        ``KILL``, ``MERGE`` ...). ``<OBJECT DISPATCH>`` when the property is not
        multidimensional (RCOS_fproperty, RCOS_fdata)."""
        if not isinstance(obj, Obj):
            raise _err("INVALID OREF")
        rc = obj.cls
        pd = rc.props.get(name)
        if pd is None:
            raise _no_property(name, rc.name)
        if not pd.multidimensional:
            raise _err("OBJECT DISPATCH", f"*{name},{rc.name}")
        node = obj.props.get(name)
        if type(node) is not Node:
            node = obj.props[name] = Node(name)
        return node

    def md_this(self, name: str) -> Node:
        """``..name(subs)`` / ``i%name(subs)``: the array of ``$THIS``."""
        this = self.P.cur_this
        if not isinstance(this, Obj):
            raise _err("NO CURRENT OBJECT")
        return self.md_node(this, name)

    # ------------------------------------------------------------------ parameters

    def param(self, target: Any, name: str) -> Any:
        """``..#name`` / ``##class(C).#name`` / ``$PARAMETER``: "" when there is none."""
        if isinstance(target, Obj):
            rc = target.cls
        else:
            cname = V.to_str(target)
            if not cname:
                raise _err("NO CURRENT OBJECT")
            rc = self.get(cname)
        if name in rc.param_values:
            return rc.param_values[name]
        found = rc.params.get(name)
        if found is None:
            return ""
        raw = found[1]
        lit = _literal(raw) if raw else ""
        if lit is None:
            lit = self.eval(raw, rc.name)
        rc.param_values[name] = lit
        return lit

    def eval(self, expr: str, this: Any) -> Any:
        """The value of an expression written in a class text (InitialExpression, a
        parameter's value), evaluated with ``$THIS`` set."""
        from compiler_stub.runtime.translate import translate_line  # noqa: PLC0415

        lit = _literal(expr)
        if lit is not None:
            return lit
        P = self.P
        lc = translate_line(" quit " + expr.strip().strip("{}").strip(), P.debug)
        saved = P.cur_this
        P.cur_this = this
        try:
            r = lc.fn(P)
        finally:
            P.cur_this = saved
        return "" if r is None else r

    # ------------------------------------------------------------------ %New

    def new(self, rc: RClass, args: tuple[Any, ...]) -> Any:
        """``%New(args)``: the object with its initial values, after ``%OnNew``."""
        obj = rc.pycls()(rc, self.numbers)
        obj.world = self  # type: ignore[attr-defined]
        self.init_props(obj)
        on_new = rc.methods.get("%OnNew")
        if on_new is not None:
            sc = self.run(obj, rc, on_new, True, args)
            if is_error(sc):
                self.P.objlasterror = sc
                return ""
        else:
            check_args(args, 0 if not rc.native else len(args))
        return obj

    def init_props(self, obj: Obj) -> None:
        rc = obj.cls
        for name, pd in rc.props.items():
            if rc.native and name in obj.props:
                continue
            if pd.multidimensional:
                # undefined until set (no "" as other properties get); an
                # InitialExpression gives the top node its value
                node = obj.props[name] = Node(name)
                if pd.initial is not None:
                    node.value = self.eval(pd.initial, obj)
                continue
            if pd.collection or is_stream_class(pd.type):
                obj.props[name] = None   # made on first use, as IRIS swizzles it
                continue
            obj.props[name] = "" if pd.initial is None else self.eval(pd.initial, obj)

    def collection_for(self, pd: PropDef) -> Any:
        """The object a collection or stream property holds before it is first used: an
        empty collection, a new stream."""
        if not pd.collection:
            return self.new(self.get(pd.type), ())
        datatype = _is_datatype(pd.type)
        if pd.collection == "list":
            cname = "%Library.ListOfDataTypes" if datatype else "%Library.ListOfObjects"
        else:
            cname = "%Library.ArrayOfDataTypes" if datatype else "%Library.ArrayOfObjects"
        coll = self.new(self.get(cname), ())
        coll.props["ElementType"] = pd.type
        return coll

    def instantiate(self, cls: str) -> Any:
        """A new object of a system class from Python (no ``%OnNew`` arguments)."""
        return self.new(self.get(cls), ())


def md_subs(args: tuple[Any, ...]) -> tuple[str, ...]:
    """Call arguments as the subscripts of a multidimensional property reference."""
    return tuple(V.to_str(arg(a)) for a in args)


_NOOP_CALLBACKS = ("%OnNew", "%OnBeforeSave", "%OnAfterSave", "%OnDelete", "%OnOpen",
                   "%OnClose", "%OnValidateObject", "%OnAfterDelete")
_DATATYPE_PREFIXES = ("%Library.String", "%Library.Integer", "%Library.Numeric",
                      "%Library.Boolean", "%Library.Date", "%Library.Time",
                      "%Library.TimeStamp", "%Library.Float", "%Library.Decimal",
                      "%Library.Double", "%Library.Name", "%Library.Status", "%Library.List",
                      "%Library.Binary", "%Library.Char", "%Library.Text",
                      "%Library.SmallInt", "%Library.TinyInt", "%Library.BigInt",
                      "%Library.Currency", "%Library.PosixTime", "%Library.UTC",
                      "%Library.DateTime", "%Library.VarString", "%Library.Library",
                      "%Library.CacheString", "%Library.RawString", "%Library.Counter",
                      "%Library.DataType")


def _is_datatype(cls: str) -> bool:
    return not cls or full_class_name(cls) in _DATATYPE_PREFIXES or cls.startswith("%Library.")\
        and full_class_name(cls) not in NATIVE and not cls.startswith("%Library.Dynamic")


def world_of(P: Any) -> ObjectWorld:
    w: ObjectWorld = P.objects
    return w


# --------------------------------------------------------------------------- %RegisteredObject

native_class("%Library.Base")
native_class("%Library.SystemBase")
native_class("%Library.RegisteredObject", ("%Library.Base",))
native_class("%Library.SwizzleObject", ("%Library.RegisteredObject",))
native_class("%Library.SerialObject", ("%Library.SwizzleObject",))
native_class("%Library.Persistent", ("%Library.SwizzleObject",))
native_class("%Library.Populate")
native_class("%XML.Adaptor")
native_class("%JSON.Adaptor")


@native("%Library.RegisteredObject", "%New", kind="classmethod")
def _new(P: Any, this: Any, *args: Any) -> Any:
    w = world_of(P)
    return w.new(w.get(this), args)


@native("%Library.Base", "%ClassName", kind="classmethod")
def _class_name(P: Any, this: Any, full: Any = 0) -> str:
    name = this.cls.name if isinstance(this, Obj) else V.to_str(this)
    return name if V.truth(arg(full, 0)) else name.rpartition(".")[2]


@native("%Library.Base", "%PackageName", kind="classmethod")
def _package_name(P: Any, this: Any) -> str:
    name = this.cls.name if isinstance(this, Obj) else V.to_str(this)
    return name.rpartition(".")[0]


def _class_of(P: Any, this: Any) -> RClass:
    return this.cls if isinstance(this, Obj) else world_of(P).get(V.to_str(this))


@native("%Library.Base", "%IsA", "%Extends", kind="classmethod")
def _is_a(P: Any, this: Any, name: Any = "") -> int:
    target = full_class_name(V.to_str(arg(name)))
    return 1 if _class_of(P, this).extends(target) else 0


@native("%Library.Base", "%GetParameter", kind="classmethod")
def _get_parameter(P: Any, this: Any, name: Any = "") -> Any:
    return world_of(P).param(this, V.to_str(arg(name)))


@native("%Library.Base", "%ClassIsLatestVersion", kind="classmethod")
def _latest(P: Any, this: Any) -> int:
    return 1


@native("%Library.Base", "%OriginalNamespace", kind="classmethod")
def _orig_ns(P: Any, this: Any) -> str:
    return str(P.namespace)


@native("%Library.RegisteredObject", "%ConstructClone")
def _clone(P: Any, this: Any, deep: Any = 0, *rest: Any) -> Any:
    w = world_of(P)
    return clone(w, this, V.truth(arg(deep, 0)))


def clone(w: ObjectWorld, obj: Obj, deep: bool) -> Obj:
    """A copy of ``obj`` (the property objects too when ``deep``)."""
    copy = type(obj)(obj.cls, w.numbers)
    copy.world = w  # type: ignore[attr-defined]
    copy_state = getattr(copy, "copy_state", None)
    if copy_state is not None:
        copy_state(obj)
    for k, v in obj.props.items():
        if isinstance(v, Obj) and (deep or k in ("ElementType",) or _owned(obj, k)):
            v = clone(w, v, deep)
        elif type(v) is Node:   # a multidimensional property: its whole tree is copied
            n = Node(k)
            n.merge_from((), v, ())
            v = n
        copy.props[k] = v
    return copy


def _owned(obj: Obj, name: str) -> bool:
    pd = obj.cls.props.get(name)
    return bool(pd and pd.collection)


@native("%Library.RegisteredObject", "%SetModified", "%Close", "%OnNew")
def _noop_ok(P: Any, this: Any, *args: Any) -> int:
    return 1


@native("%Library.RegisteredObject", "%IsModified")
def _is_modified(P: Any, this: Any, *args: Any) -> int:
    return 1


@native("%Library.RegisteredObject", "%ValidateObject")
def _validate(P: Any, this: Any, *args: Any) -> Any:
    return validate(world_of(P), this)


# --------------------------------------------------------------------------- %Persistent
# (the storage, indices and validation: persistence.py; stream data: streams.py)

def _persistent_class(P: Any, this: Any) -> RClass:
    rc = _class_of(P, this)
    if not rc.extends("%Library.Persistent"):
        raise _no_method("%Save", rc.name)
    return rc


def _to_stored(w: ObjectWorld, v: Any) -> Any:
    """What a property value becomes in the data node."""
    if type(v) is Node:
        return ""   # a multidimensional property a storage lists anyway: never saved (ROBJ)
    if not isinstance(v, Obj):
        return "" if v is None else v
    if v.cls.extends("%Library.Persistent"):
        if v.oid == "":
            sc = _save(w.P, v)
            if is_error(sc):
                raise _SaveFailed(sc)
        return v.oid
    items = getattr(v, "items", None)
    if isinstance(items, list):
        return lists.listbuild(*[_to_stored(w, x) for x in items]) if items else ""
    if v.cls.extends("%Library.SerialObject"):
        names = [p for p, pd in v.cls.props.items() if _stored(pd) and not pd.owner.startswith("%")]
        return lists.listbuild(*[_to_stored(w, v.props.get(n, "")) for n in names])
    return ""


class _SaveFailed(Exception):
    def __init__(self, sc: Any) -> None:
        super().__init__()
        self.sc = sc


@native("%Library.Persistent", "%Save")
def _save(P: Any, this: Any, related: Any = 1) -> Any:
    """``%Save``: ``%ValidateObject``, ``%OnBeforeSave``, the ID (the IdKey's values, or the
    next of the ``IdLocation`` counter), the objects it refers to; then, unless a unique
    index already holds its values (nothing is written), its streams, data node and index
    nodes (the old ones removed); ``%OnAfterSave``."""
    w = world_of(P)
    rc = _persistent_class(P, this)
    sc = validate(w, this)
    if is_error(sc):
        return sc
    m = rc.methods.get("%OnBeforeSave")
    if m is not None and m.fn is None:
        sc = w.run(this, rc, m, True, (1 if this.oid == "" else 0,))
        if is_error(sc):
            return sc
    st = storage_of(w, rc)
    info = class_info(w, rc)
    g = P.g(st.data)
    new = this.oid == ""
    streams = info.streams
    stored: dict[str, Any] = {}
    try:
        if info.idkey is not None:
            for it in info.idkey.items:
                stored[it.prop] = _to_stored(w, this.props.get(it.prop, ""))
        if new and info.idkey is not None:
            key = id_of(info, stored)
            if g.data(id_subscripts(info, key)) % 2:
                return status_error(5805, rc.name)
            this.oid = id_value(key)
        elif new:
            this.oid = P.g(st.ids).increment((), 1)
        idtext = V.to_str(this.oid)
        for n in st.values + st.sub_values:
            if n != "%%CLASSNAME" and n not in streams and n not in stored:
                stored[n] = _to_stored(w, this.props.get(n, ""))
        clash = unique_clash(P, rc, st, info, stored, idtext)
        if clash is not None:
            if new:
                this.oid = ""
            return clash
        old = None if new else read_stored(P, st, info, idtext)
        for n in streams:
            v = this.props.get(n)
            keep = isinstance(v, StreamObj) and (v.text != "" or v.sid != "")
            if keep and v.location not in ("", st.stream):
                v.sid, v.location = "", ""   # a stream saved elsewhere: a new one here
            stored[n] = save_stream(P, v, st.stream) if keep else ""
            was = old.get(n, "") if old is not None else ""
            if was != "" and V.to_str(was) != V.to_str(stored[n]):
                delete_stream(P, st.stream, was)
        row = [("" if st.root else f"~{rc.name}~") if n == "%%CLASSNAME" else stored.get(n, "")
               for n in st.values]
        subs = id_subscripts(info, idtext)
        g.set(subs, lists.listbuild(*row))
        if st.sub_values:
            g.set(subs + (st.subscript,),
                  lists.listbuild(*[stored.get(n, "") for n in st.sub_values]))
        update_index(P, st, info, old, stored, idtext)
    except _SaveFailed as e:
        if new:
            this.oid = ""
        return e.sc
    m = rc.methods.get("%OnAfterSave")
    if m is not None and m.fn is None:
        w.run(this, rc, m, True, (1 if new else 0,))
    return 1


@native("%Library.Persistent", "%Id")
def _id(P: Any, this: Any) -> Any:
    return this.oid


@native("%Library.Persistent", "%Oid")
def _oid(P: Any, this: Any) -> Any:
    return "" if this.oid == "" else lists.listbuild(this.oid, this.cls.name)


@native("%Library.Persistent", "%ExistsId", kind="classmethod")
def _exists_id(P: Any, this: Any, id_: Any = "") -> int:
    w = world_of(P)
    rc = _persistent_class(P, this)
    idv = V.to_str(arg(id_))
    if idv == "":
        return 0
    st = storage_of(w, rc)
    subs = id_subscripts(class_info(w, rc), idv)
    return 1 if "" not in subs and P.g(st.data).data(subs) % 2 else 0


@native("%Library.Persistent", "%OpenId", "%Open", kind="classmethod")
def _open_id(P: Any, this: Any, id_: Any = "", concurrency: Any = -1, sc: Any = None) -> Any:
    w = world_of(P)
    rc = _persistent_class(P, this)
    idv = arg(id_)
    idtext = V.to_str(idv)
    st = storage_of(w, rc)
    g = P.g(st.data)
    key = id_subscripts(class_info(w, rc), idtext)   # (A, B) for the ID A||B of an IdKey
    row = g.get_or(key, None) if idtext and "" not in key else None
    if row is None:
        out(sc, status_error(5809, rc.name, idtext))
        return ""
    vals = lists.items(row)
    stored_cls = vals[0] if vals and vals[0] is not lists.UNDEF else ""
    target = rc
    if isinstance(stored_cls, str) and stored_cls.strip("~"):
        target = w.get(stored_cls.strip("~").split("~")[-1])
        st = storage_of(w, target)
    obj = target.pycls()(target, w.numbers)
    obj.world = w  # type: ignore[attr-defined]
    w.init_props(obj)
    for i, n in enumerate(st.values):
        if n == "%%CLASSNAME" or i >= len(vals) or type(obj.props.get(n)) is Node:
            continue   # a multidimensional property starts empty, never loaded
        obj.props[n] = _from_stored(w, target, n, vals[i])
    subs = st.sub_values
    if subs:
        srow = g.get_or((*key, st.subscript), None)
        svals = lists.items(srow) if srow is not None else []
        for i, n in enumerate(subs):
            if i < len(svals) and type(obj.props.get(n)) is not Node:
                obj.props[n] = _from_stored(w, target, n, svals[i])
    idkey = class_info(w, target).idkey
    if idkey is not None:   # the IdKey's properties are not in the data node: the ID is them
        for it, part in zip(idkey.items, key, strict=False):
            obj.props[it.prop] = id_value(part)
    obj.oid = V.num(idtext) if V.is_canonic(idtext) else idtext
    out(sc, 1)
    m = target.methods.get("%OnOpen")
    if m is not None and m.fn is None:
        r = w.run(obj, target, m, True, ())
        if is_error(r):
            out(sc, r)
            return ""
    return obj


def _from_stored(w: ObjectWorld, rc: RClass, name: str, v: Any) -> Any:
    if v is lists.UNDEF:
        return ""
    pd = rc.props.get(name)
    if pd is None:
        return v
    if pd.collection == "list" and isinstance(v, str) and v:
        coll = w.collection_for(pd)
        if hasattr(coll, "items"):
            coll.items = [("" if x is lists.UNDEF else x) for x in lists.items(v)]
        return coll
    if is_stream_class(pd.type):   # the stream's id in the class's StreamLocation
        return load_stream(w.P, w, pd.type, storage_of(w, rc).stream, v) if v != "" else None
    if pd.type and not _is_datatype(pd.type) and v != "":
        try:
            prc = w.get(pd.type)
        except ObjectScriptError:
            return v
        if prc.extends("%Library.Persistent"):
            return _open_id(w.P, prc.name, v)
        if prc.extends("%Library.SerialObject") and isinstance(v, str):
            so = w.new(prc, ())
            names = [p for p, d in prc.props.items() if _stored(d) and not d.owner.startswith("%")]
            for i, x in enumerate(lists.items(v)):
                if i < len(names):
                    so.props[names[i]] = "" if x is lists.UNDEF else x
            return so
    return v


@native("%Library.Persistent", "%DeleteId", kind="classmethod")
def _delete_id(P: Any, this: Any, id_: Any = "", *rest: Any) -> Any:
    """``%DeleteId``: ``%OnDelete(oid)``, then the object's index nodes, its streams and
    its data node; ``%OnAfterDelete(oid)``."""
    w = world_of(P)
    rc = _persistent_class(P, this)
    idtext = V.to_str(arg(id_))
    st = storage_of(w, rc)
    g = P.g(st.data)
    key = id_subscripts(class_info(w, rc), idtext)
    if not idtext or "" in key or not g.data(key) % 2:
        return status_error(5810, rc.name, idtext)
    target = row_class(w, rc, g.get_or(key, ""))
    oid = lists.listbuild(id_value(idtext), target.name)
    m = target.methods.get("%OnDelete")
    if m is not None and m.fn is None:
        sc = w.run(target.name, target, m, True, (oid,))
        if is_error(sc):
            return sc
    tst, tinfo = storage_of(w, target), class_info(w, target)
    old = read_stored(P, tst, tinfo, idtext)
    update_index(P, tst, tinfo, old, None, idtext)
    for n in tinfo.streams:
        delete_stream(P, tst.stream, old.get(n, "") if old is not None else "")
    g.kill(key)
    m = target.methods.get("%OnAfterDelete")
    if m is not None and m.fn is None:
        w.run(target.name, target, m, True, (oid,))
    return 1


@native("%Library.Persistent", "%Delete", kind="classmethod")
def _delete(P: Any, this: Any, oid: Any = "", *rest: Any) -> Any:
    v = arg(oid)
    items = lists.items(v) if isinstance(v, str) and v else []
    return _delete_id(P, this, items[0] if items else "")


@native("%Library.Persistent", "%KillExtent", kind="classmethod")
def _kill_extent(P: Any, this: Any, *rest: Any) -> int:
    w = world_of(P)
    rc = _persistent_class(P, this)
    st = storage_of(w, rc)
    for g in {st.data, st.ids, st.index, st.stream}:
        if g:
            P.g(g).kill(())
    return 1


@native("%Library.Persistent", "%BuildIndices", kind="classmethod")
def _build_indices(P: Any, this: Any, names: Any = "", purge: Any = 1, *rest: Any) -> Any:
    return build_indices(P, world_of(P), _persistent_class(P, this), arg(names),
                         V.truth(arg(purge, 1)))


@native("%Library.Persistent", "%PurgeIndices", kind="classmethod")
def _purge_indices(P: Any, this: Any, names: Any = "", *rest: Any) -> Any:
    return purge_indices(P, world_of(P), _persistent_class(P, this), arg(names))


@native("%Library.Persistent", "%Reload")
def _reload(P: Any, this: Any) -> int:
    return 1


# --------------------------------------------------------------------------- %Exception

_EXC_PROPS = ("Name", "Code", "Location", "Data", "InnerException", "iStack")


class ExceptionObj(Obj):
    """An exception object; a system error's keeps the ``ObjectScriptError`` it stands for."""

    error: ObjectScriptError | None = None
    status: Any = None


native_class("%Exception.AbstractException", ("%Library.RegisteredObject",), _EXC_PROPS,
             pyclass=ExceptionObj)
native_class("%Exception.SystemException", ("%Exception.AbstractException",))
native_class("%Exception.General", ("%Exception.AbstractException",))
native_class("%Exception.StatusException", ("%Exception.AbstractException",))
native_class("%Exception.SQL", ("%Exception.AbstractException",))


@native("%Exception.AbstractException", "%OnNew")
def _exc_on_new(P: Any, this: Any, name: Any = "", code: Any = "", location: Any = "",
                data: Any = "", inner: Any = "") -> int:
    this.props.update(Name=arg(name), Code=arg(code), Location=arg(location), Data=arg(data),
                      InnerException=arg(inner))
    return 1


def display_string(this: Any) -> str:
    if this.status is not None and this.cls.name == "%Exception.StatusException":
        return one_text(errors_of(this.status)[0]) if errors_of(this.status) else ""
    return " ".join(V.to_str(this.props.get(k, "")) for k in ("Name", "Code", "Location",
                                                               "Data"))


@native("%Exception.AbstractException", "DisplayString")
def _display_string(P: Any, this: Any, level: Any = 0) -> str:
    return display_string(this)


@native("%Exception.AbstractException", "Log")
def _log(P: Any, this: Any) -> int:
    return 1


@native("%Exception.AbstractException", "AsStatus")
def _as_status(P: Any, this: Any) -> Any:
    props = this.props
    if this.cls.extends("%Exception.StatusException") and this.status is not None:
        return this.status
    if this.cls.extends("%Exception.SystemException"):
        data = V.to_str(props.get("Data", ""))
        text_ = V.to_str(props.get("Name", "")) + V.to_str(props.get("Location", "")) + \
            (" " + data if data else "")
        return status_error(5002, text_)
    if this.cls.extends("%Exception.StatusException"):
        return status_error(props.get("Code", ""), *lists.items(props.get("Data", "") or
                                                                   lists.listbuild()))
    return status_error(5035, props.get("Name", ""), props.get("Code", ""),
                        props.get("Data", ""))


@native("%Exception.SystemException", "AsSystemError")
def _as_system_error(P: Any, this: Any) -> str:
    data = V.to_str(this.props.get("Data", ""))
    return V.to_str(this.props.get("Name", "")) + V.to_str(this.props.get("Location", "")) + \
        (" " + data if data else "")


@native("%Exception.StatusException", "CreateFromStatus", kind="classmethod")
def _create_from_status(P: Any, this: Any, sc: Any = "") -> Any:
    w = world_of(P)
    scv = arg(sc)
    errs = errors_of(scv)
    first = errs[0] if errs else [5001, ""]
    obj = w.new(w.get("%Exception.StatusException"), (
        f"ERROR #{V.to_str(first[0])}", first[0], "", lists.listbuild(*first[1:])))
    obj.status = scv
    return obj


@native("%Exception.AbstractException", "CreateFromStatus", kind="classmethod")
def _abstract_from_status(P: Any, this: Any, sc: Any = "") -> Any:
    return _create_from_status(P, this, sc)


def system_exception(P: Any, err: ObjectScriptError) -> Any:
    """The ``%Exception.SystemException`` a CATCH receives for a system error."""
    w = world_of(P)
    obj = w.new(w.get("%Exception.SystemException"), (
        f"<{err.code}>", ERROR_NUMBERS.get(err.code, 0), err.location,
        err.detail[1:] if err.detail.startswith("*") else err.detail))
    obj.error = err
    return obj


def exception_error(obj: Any) -> ObjectScriptError | None:
    """The error an uncaught THROW of ``obj`` ends the line with (None: not an exception)."""
    if not isinstance(obj, ExceptionObj):
        return None
    if obj.error is not None:
        return obj.error
    name = V.to_str(obj.props.get("Name", ""))
    if obj.cls.extends("%Exception.SystemException") and name.startswith("<") and ">" in name:
        return ObjectScriptError(name[1:name.index(">")], V.to_str(obj.props.get("Data", "")),
                                 V.to_str(obj.props.get("Location", "")))
    return ObjectScriptError("THROW", display_string(obj))


# --------------------------------------------------------------------------- functions

def classname(P: Any, v: Any = None) -> str:
    """``$CLASSNAME(oref)`` (no argument: the class of the running code)."""
    if v is None:
        ctx = P.cur_this
        if isinstance(ctx, Obj):
            return ctx.cls.name
        return V.to_str(ctx) if isinstance(ctx, str) else ""
    if isinstance(v, Obj):
        return v.cls.name
    name = getattr(v, "__os_class__", None)
    if isinstance(name, str):
        return name
    return ""
