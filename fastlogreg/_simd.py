"""Numba intrinsics the kernels need and Numba does not offer: a bit cast from int64 to float64
(to build 2**k in the branch-free exp) and a 4 x float64 vector type (LLVM <4 x double>, one
AVX2 register) with load, fused multiply-add and store, so the gradient update can keep 32
columns of accumulators in registers (see kernels/dense.py, _grad_chunk); and a software
prefetch hint (kernels/sgd.py prefetches the rows of its next group).

No bounds checks: callers index within the array by construction.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model


@intrinsic
def i64_as_f64(typingctx, x):
    """The bits of an int64 read as a float64."""
    sig = types.float64(types.int64)

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


class V4dType(types.Type):
    """4 x float64 held in one vector register."""

    def __init__(self):
        super().__init__(name="v4d")


v4d = V4dType()
_VT = ir.VectorType(ir.DoubleType(), 4)


@register_model(V4dType)
class _V4dModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _VT)


def _item_ptr(context, builder, aryty, aryval, idx):
    ary = context.make_array(aryty)(context, builder, aryval)
    return cgutils.get_item_pointer(context, builder, aryty, ary, idx, wraparound=False)


@intrinsic
def v4_load2(typingctx, arr, i, j):
    """arr[i, j:j+4] as 4 x float64 (float32 entries are widened exactly)."""
    if not (
        isinstance(arr, types.Array)
        and arr.ndim == 2
        and arr.dtype in (types.float32, types.float64)
    ):
        return None
    sig = v4d(arr, i, j)

    def codegen(context, builder, sig, args):
        ptr = _item_ptr(context, builder, sig.args[0], args[0], [args[1], args[2]])
        if sig.args[0].dtype == types.float64:
            return builder.load(builder.bitcast(ptr, _VT.as_pointer()), align=8)
        ft = ir.VectorType(ir.FloatType(), 4)
        v = builder.load(builder.bitcast(ptr, ft.as_pointer()), align=4)
        return builder.fpext(v, _VT)

    return sig, codegen


@intrinsic
def v4_addto(typingctx, arr, j, v):
    """arr[j:j+4] += v for a 1-D float64 array."""
    sig = types.void(arr, j, v)

    def codegen(context, builder, sig, args):
        ptr = builder.bitcast(
            _item_ptr(context, builder, sig.args[0], args[0], [args[1]]), _VT.as_pointer()
        )
        builder.store(builder.fadd(builder.load(ptr, align=8), args[2]), ptr, align=8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def v4_splat(typingctx, x):
    """(x, x, x, x)."""
    sig = v4d(types.float64)

    def codegen(context, builder, sig, args):
        v = builder.insert_element(
            ir.Constant(_VT, ir.Undefined), args[0], ir.Constant(ir.IntType(32), 0)
        )
        return builder.shuffle_vector(
            v,
            ir.Constant(_VT, ir.Undefined),
            ir.Constant(ir.VectorType(ir.IntType(32), 4), [0, 0, 0, 0]),
        )

    return sig, codegen


@intrinsic
def v4_zero(typingctx):
    sig = v4d()

    def codegen(context, builder, sig, args):
        return ir.Constant(_VT, [0.0, 0.0, 0.0, 0.0])

    return sig, codegen


@intrinsic
def v4_fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma: vfmadd on FMA hardware)."""
    sig = v4d(v4d, v4d, v4d)

    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(_VT, [_VT, _VT, _VT]), "llvm.fma.v4f64"
        )
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def v4_add(typingctx, a, b):
    sig = v4d(v4d, v4d)

    def codegen(context, builder, sig, args):
        return builder.fadd(args[0], args[1])

    return sig, codegen


@intrinsic
def prefetch2(typingctx, arr, i, j):
    """Ask the CPU to bring the cache line holding arr[i, j] into its caches (a hint: results
    do not depend on it)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2):
        return None
    sig = types.void(arr, i, j)

    def codegen(context, builder, sig, args):
        ptr = _item_ptr(context, builder, sig.args[0], args[0], [args[1], args[2]])
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        # read, high temporal locality, data cache
        builder.call(fn, [i8p, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen
