"""Export of a full or reduced ESN as self-contained C code (step, outputs, Jacobians).

:func:`to_c` writes ``<name>.c`` and ``<name>.h``. The source is CasADi's code generator output
[1]_ for three functions built from the model's leaky-tanh step
(:meth:`rcpod.reservoir.form.LeakyTanhForm.casadi_next`, the same expression for the ESN and every
reduced ESN, after [2]_) and its readout, with the weights as constant arrays, plus a plain C
interface in double precision with row-major (C-order) arrays::

    int <name>_step(const double *x, const double *u, double *x_next);
    int <name>_output(const double *x, const double *u, double *y);
    int <name>_jacobians(const double *x, const double *u, double *J_state, double *J_input);
    int <name>_run(const double *x0, const double *inputs, long n_steps, double *states);

``x_next = f(x, u)``, ``y = C_x x + C_u u + c`` (the readout of the state ``x``; ``C_u`` with
``include_input``; ``y = x`` for a bare reservoir), ``J_state = df/dx`` (n x n) and
``J_input = df/du`` (n x n_inputs) by CasADi's algorithmic differentiation of the step, and
``<name>_run`` iterates the step (``states[k] = f(states[k-1], inputs[k])``, ``states[-1] = x0``).
The functions return 0 on success. It needs only a C99 compiler and the math library
(``cc -O2 -shared -fPIC <name>.c -o lib<name>.so -lm``: :func:`compile_c`); :func:`load_c` loads
the library with ctypes.

References
----------
.. [1] J. A. E. Andersson et al., "CasADi: a software framework for nonlinear optimization and
   optimal control", Math. Prog. Comp. 11, 2019.
.. [2] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
"""
from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rcpod.reservoir.form import import_casadi

from .casadi_export import to_casadi
from .jacobians import leaky_tanh_form

__all__ = ["to_c", "compile_c", "load_c", "CSource", "CompiledModel", "find_c_compiler"]

_COMPILERS = ("cc", "gcc", "clang")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class CSource:
    """The files written by :func:`to_c` and the model's sizes.

    Attributes
    ----------
    source, header : pathlib.Path
    name : str
        Prefix of the C functions.
    n_states, n_inputs, n_outputs : int

    Examples
    --------
    >>> import tempfile
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import to_c
    >>> src = to_c(ESN(n_units=4, random_state=0).initialize(2), tempfile.mkdtemp(), name="tiny")
    >>> src.name, src.n_states, src.n_inputs, src.n_outputs
    ('tiny', 4, 2, 4)
    """

    source: Path
    header: Path
    name: str
    n_states: int
    n_inputs: int
    n_outputs: int


#: Work arrays up to this many doubles live on the stack (the function is reentrant); larger
#: ones (a full ESN's Jacobians) are static, since they would overflow a typical stack.
STACK_DOUBLES = 16384


def _wrapper(name, fun, signature, args, results):
    """A plain C function calling the CasADi function ``fun`` with its work arrays."""
    sizes = [max(1, int(v)) for v in (fun.sz_arg(), fun.sz_res(), fun.sz_iw(), fun.sz_w())]
    storage = "static " if sizes[2] + sizes[3] > STACK_DOUBLES else ""
    set_args = "".join(f"  arg[{i}] = {a};\n" for i, a in enumerate(args))
    set_res = "".join(f"  res[{i}] = {r};\n" for i, r in enumerate(results))
    return (f"int {name}({signature}) {{\n"
            + ("  /* large work arrays: static, so this function is not reentrant */\n"
               if storage else "")
            + f"  const casadi_real *arg[{sizes[0]}];\n  casadi_real *res[{sizes[1]}];\n"
            f"  {storage}casadi_int iw[{sizes[2]}];\n  {storage}casadi_real w[{sizes[3]}];\n"
            f"  casadi_int n_arg, n_res, n_iw, n_w;\n"
            f"  {fun.name()}_work(&n_arg, &n_res, &n_iw, &n_w);\n"
            f"  if (n_arg > {sizes[0]} || n_res > {sizes[1]} || n_iw > {sizes[2]} || "
            f"n_w > {sizes[3]}) return -1;\n"
            f"{set_args}{set_res}"
            f"  return {fun.name()}(arg, res, iw, w, 0);\n}}\n")


def to_c(model, directory, name="rcpod_model"):
    """Write C source and header of one step, the outputs and both Jacobians of ``model``.

    Parameters
    ----------
    model : rcpod.reservoir.ESN, ReducedReservoir, or a fitted estimator holding one
        For an estimator the outputs are its linear readout, for a bare reservoir the states.
    directory : str or path-like
        Created if missing; ``<name>.c`` and ``<name>.h`` are written (overwritten) there.
    name : str, default="rcpod_model"
        A C identifier: the file names and the prefix of every exported C function.

    Returns
    -------
    CSource
        Paths and sizes.

    Raises
    ------
    ImportError
        casadi is not installed (extra ``rcpod[mpc]``).
    TypeError
        Unsupported model, or ``name`` not a string.
    ValueError
        ``name`` is not a C identifier.

    Examples
    --------
    >>> import tempfile
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import to_c
    >>> esn = ESN(n_units=10, random_state=0).initialize(1)
    >>> src = to_c(esn, tempfile.mkdtemp(), name="esn10")
    >>> src.source.name, src.header.name, src.n_states
    ('esn10.c', 'esn10.h', 10)
    >>> "int esn10_step(const double *x, const double *u, double *x_next);" in (
    ...     src.header.read_text())
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}.")
    if not _IDENT.match(name):
        raise ValueError(f"name must be a C identifier (letters, digits, underscores, not "
                         f"starting with a digit), got {name!r}.")
    ca = import_casadi("to_c")
    leaky_tanh_form(model)                      # a clear TypeError for unsupported models
    f = to_casadi(model, name=f"{name}_cs_model")
    n, n_in, n_out = f.size1_in(0), f.size1_in(1), f.size1_out(1)
    x, u = ca.MX.sym("x", n), ca.MX.sym("u", n_in)
    x_next, y = f.call([x, u], True, False)     # inlined: AD sees the operations
    # densified transposes: CasADi writes column-major, so J^T column-major is J row-major
    funs = {
        "step": ca.Function(f"{name}_cs_step", [x, u], [x_next]),
        "output": ca.Function(f"{name}_cs_output", [x, u], [y]),
        "jacobians": ca.Function(f"{name}_cs_jacobians", [x, u],
                                 [ca.densify(ca.jacobian(x_next, x).T),
                                  ca.densify(ca.jacobian(x_next, u).T)]),
    }
    cg = ca.CodeGenerator(f"{name}.c", {"with_header": False, "casadi_real": "double"})
    for fun in funs.values():
        cg.add(fun)
    guard = f"{name.upper()}_H"
    header = (
        f"/* {name}: one step of a leaky-tanh reservoir model, generated by rcpod.reduction.to_c"
        f"\n   with CasADi's code generator. Arrays are double, row-major (C order).\n"
        f"   Every function returns 0 on success. Work arrays above {8 * STACK_DOUBLES // 1024}"
        f" kB are static\n   (that function is then not reentrant; see {name}.c). */\n"
        f"#ifndef {guard}\n#define {guard}\n\n#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n"
        f"#define {name.upper()}_N_STATES {n}\n#define {name.upper()}_N_INPUTS {n_in}\n"
        f"#define {name.upper()}_N_OUTPUTS {n_out}\n\n"
        f"/* x_next[N_STATES] = f(x[N_STATES], u[N_INPUTS]) */\n"
        f"int {name}_step(const double *x, const double *u, double *x_next);\n"
        f"/* y[N_OUTPUTS]: the readout of state x (u only with a direct feed-through) */\n"
        f"int {name}_output(const double *x, const double *u, double *y);\n"
        f"/* J_state[N_STATES][N_STATES] = df/dx, J_input[N_STATES][N_INPUTS] = df/du at (x, u)"
        f" */\n"
        f"int {name}_jacobians(const double *x, const double *u, double *J_state, "
        f"double *J_input);\n"
        f"/* states[k] = f(states[k-1], inputs[k]) for k < n_steps, states[-1] = x0;\n"
        f"   inputs[n_steps][N_INPUTS], states[n_steps][N_STATES] */\n"
        f"int {name}_run(const double *x0, const double *inputs, long n_steps, "
        f"double *states);\n\n#ifdef __cplusplus\n}}\n#endif\n\n#endif\n")
    run = (f"int {name}_run(const double *x0, const double *inputs, long n_steps, "
           f"double *states) {{\n"
           f"  const double *x = x0;\n  long k;\n  int flag;\n"
           f"  for (k = 0; k < n_steps; ++k) {{\n"
           f"    flag = {name}_step(x, inputs + k * {n_in}, states + k * {n});\n"
           f"    if (flag) return flag;\n    x = states + k * {n};\n  }}\n  return 0;\n}}\n")
    wrappers = "\n".join([
        _wrapper(f"{name}_step", funs["step"], "const double *x, const double *u, double *x_next",
                 ["x", "u"], ["x_next"]),
        _wrapper(f"{name}_output", funs["output"], "const double *x, const double *u, double *y",
                 ["x", "u"], ["y"]),
        _wrapper(f"{name}_jacobians", funs["jacobians"],
                 "const double *x, const double *u, double *J_state, double *J_input",
                 ["x", "u"], ["J_state", "J_input"]),
        run])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    source, header_path = directory / f"{name}.c", directory / f"{name}.h"
    source.write_text(f"/* generated by rcpod.reduction.to_c */\n#include \"{name}.h\"\n\n"
                      + cg.dump() + "\n/* plain C interface (see " + f"{name}.h) */\n"
                      + wrappers)
    header_path.write_text(header)
    return CSource(source, header_path, name, n, n_in, n_out)


def find_c_compiler(compiler=None):
    """Path of a C compiler: ``compiler`` if given, else the first of cc, gcc, clang on PATH.

    Parameters
    ----------
    compiler : str, optional
        Name or path of the compiler to use.

    Returns
    -------
    str

    Raises
    ------
    RuntimeError
        No C compiler was found.

    Examples
    --------
    >>> from rcpod.reduction.c_export import find_c_compiler
    >>> isinstance(find_c_compiler(), str)
    True
    """
    names = (compiler,) if compiler is not None else _COMPILERS
    for candidate in names:
        path = shutil.which(candidate)
        if path:
            return path
    raise RuntimeError(f"no C compiler found (looked for {', '.join(names)} on PATH); install "
                       "one (e.g. `apt-get install gcc`) or pass compiler= the path of one.")


def compile_c(source, output=None, compiler=None, flags=("-O2",)):
    """Compile a source written by :func:`to_c` into a shared library.

    Parameters
    ----------
    source : CSource or path-like
        The C file (its header must be next to it).
    output : path-like, optional
        The library; default ``lib<name>.so`` (``.dylib`` on macOS, ``.dll`` on Windows) next
        to the source.
    compiler : str, optional
        Compiler name or path; default the first of cc, gcc, clang found on PATH.
    flags : sequence of str, default=("-O2",)
        Extra compiler flags.

    Returns
    -------
    pathlib.Path
        The shared library.

    Raises
    ------
    RuntimeError
        No C compiler was found, or it failed (its messages are included).

    Examples
    --------
    >>> import tempfile
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import to_c
    >>> from rcpod.reduction.c_export import compile_c
    >>> lib = compile_c(to_c(ESN(n_units=5, random_state=0).initialize(1), tempfile.mkdtemp()))
    >>> lib.name
    'librcpod_model.so'
    """
    cc = find_c_compiler(compiler)
    src = Path(source.source if isinstance(source, CSource) else source)
    suffix = ".dylib" if sys.platform == "darwin" else ".dll" if sys.platform == "win32" else ".so"
    out = Path(output) if output is not None else src.with_name(f"lib{src.stem}{suffix}")
    cmd = [cc, *flags, "-std=c99", "-fPIC", "-shared", str(src), "-o", str(out), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"compiling {src} failed ({' '.join(cmd)}):\n{proc.stderr}")
    return out


class CompiledModel:
    """The C functions of a library built from :func:`to_c`, callable on numpy arrays.

    Parameters
    ----------
    library : path-like
        Shared library from :func:`compile_c`.
    source : CSource
        The description :func:`to_c` returned (name and sizes).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import to_c
    >>> from rcpod.reduction.c_export import compile_c, load_c
    >>> esn = ESN(n_units=8, random_state=0).initialize(1)
    >>> src = to_c(esn, tempfile.mkdtemp())
    >>> c = load_c(compile_c(src), src)
    >>> u = np.full((3, 1), 0.2)
    >>> bool(np.allclose(c.run(u, np.zeros(8)), esn.run(u), rtol=0, atol=1e-12))
    True
    """

    def __init__(self, library, source):
        self.source = source
        self.lib = ctypes.CDLL(str(library))
        dp = ctypes.POINTER(ctypes.c_double)
        for what, n_ptr in (("step", 3), ("output", 3), ("jacobians", 4)):
            fn = getattr(self.lib, f"{source.name}_{what}")
            fn.argtypes, fn.restype = [dp] * n_ptr, ctypes.c_int
        fn = getattr(self.lib, f"{source.name}_run")
        fn.argtypes, fn.restype = [dp, dp, ctypes.c_long, dp], ctypes.c_int

    def _call(self, what, *args):
        """Call ``<name>_<what>``: arrays (float64, C order) as pointers, ints as they are."""
        args = [a.ctypes.data_as(ctypes.POINTER(ctypes.c_double)) if isinstance(a, np.ndarray)
                else a for a in args]
        flag = getattr(self.lib, f"{self.source.name}_{what}")(*args)
        if flag:
            raise RuntimeError(f"{self.source.name}_{what} returned {flag}.")

    def _vec(self, a, n, argument):
        a = np.ascontiguousarray(a, dtype=np.float64)
        if a.shape != (n,):
            raise ValueError(f"{argument} must have shape ({n},), got {a.shape}.")
        return a

    def _point(self, x, u):
        s = self.source
        return self._vec(x, s.n_states, "x"), self._vec(u, s.n_inputs, "u")

    def step(self, x, u):
        """``f(x, u)``, shape (n_states,)."""
        out = np.empty(self.source.n_states)
        self._call("step", *self._point(x, u), out)
        return out

    def output(self, x, u):
        """The readout ``y`` of state ``x``, shape (n_outputs,)."""
        out = np.empty(self.source.n_outputs)
        self._call("output", *self._point(x, u), out)
        return out

    def jacobians(self, x, u):
        """``(df/dx, df/du)`` at ``(x, u)``, shapes (n, n) and (n, n_inputs)."""
        n = self.source.n_states
        Js, Ju = np.empty((n, n)), np.empty((n, self.source.n_inputs))
        self._call("jacobians", *self._point(x, u), Js, Ju)
        return Js, Ju

    def run(self, inputs, x0):
        """States ``(T, n_states)`` after each of ``inputs`` ``(T, n_inputs)`` from ``x0``."""
        s = self.source
        U = np.ascontiguousarray(inputs, dtype=np.float64)
        if U.ndim != 2 or U.shape[1] != s.n_inputs:
            raise ValueError(f"inputs must have shape (T, {s.n_inputs}), got {U.shape}.")
        x0 = self._vec(x0, s.n_states, "x0")
        out = np.empty((U.shape[0], s.n_states))
        self._call("run", x0, U, U.shape[0], out)
        return out


def load_c(library, source):
    """Load a library built by :func:`compile_c` from :func:`to_c`'s ``source``.

    Parameters
    ----------
    library : path-like
    source : CSource

    Returns
    -------
    CompiledModel

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reduction import to_c
    >>> from rcpod.reduction.c_export import compile_c, load_c
    >>> src = to_c(ESN(n_units=6, random_state=0).initialize(2), tempfile.mkdtemp())
    >>> c = load_c(compile_c(src), src)
    >>> c.jacobians(np.zeros(6), np.zeros(2))[1].shape
    (6, 2)
    """
    if not isinstance(source, CSource):
        raise TypeError(f"source must be the CSource returned by to_c, got "
                        f"{type(source).__name__}.")
    return CompiledModel(library, source)
