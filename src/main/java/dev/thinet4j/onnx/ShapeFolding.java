package dev.thinet4j.onnx;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Shapes;
import dev.thinet4j.onnx.Value.Act;
import dev.thinet4j.onnx.Value.Const;
import dev.thinet4j.onnx.Value.ShapeVec;
import dev.thinet4j.onnx.Value.Unavailable;
import dev.thinet4j.onnx.proto.OnnxAttribute;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Constant folding and symbolic shape arithmetic.
 *
 * <p>Constants: {@code Constant} nodes, and Identity, Dropout, Cast, Reshape, Unsqueeze, Squeeze,
 * Shape, Gather, Slice, Concat, Transpose and Add / Sub / Mul / Div / Pow whose inputs are all
 * constant are evaluated at import time.
 *
 * <p>Shapes: {@code Shape} of an activation gives a {@link ShapeVec} whose first entry is the free
 * batch size and whose other entries are known; Gather, Slice, Unsqueeze, Squeeze, Concat, Cast
 * and Add / Sub / Mul / Div on such vectors are evaluated symbolically (e.g.
 * {@code c // groups} in ShuffleNet's {@code x.view(b, g, c // g, h, w)}). Arithmetic on the
 * batch entry itself is refused, except by the neutral element.
 *
 * <p>Gather of an activation along axis 1 with constant 1-D integer indices is {@link Op.ChannelGather}
 * ({@code x[:, idx]}).
 */
final class ShapeFolding {
    private ShapeFolding() {
    }

    static void register(Map<String, OpMapper> r) {
        r.put("Constant", ShapeFolding::constant);
        r.put("Identity", ShapeFolding::identity);
        r.put("Dropout", ShapeFolding::identity);
        r.put("Cast", ShapeFolding::cast);
        r.put("Shape", ShapeFolding::shape);
        r.put("Gather", ShapeFolding::gather);
        r.put("Unsqueeze", (c, n) -> unsqueeze(c, n, true));
        r.put("Squeeze", (c, n) -> unsqueeze(c, n, false));
    }

    // ------------------------------------------------------------------ constants

    static void constant(ImportContext ctx, OnnxNode n) {
        String out = ctx.output(n);
        if (n.attributes().size() != 1) {
            throw ctx.fail(ctx.at(n) + " must have exactly one value attribute, has " + n.attributes());
        }
        OnnxAttribute a = n.attributes().get(0);
        OnnxTensor t = switch (a.name()) {
            case "value" -> {
                if (a.t() == null) {
                    throw ctx.fail(ctx.at(n) + ": attribute 'value' holds no tensor");
                }
                OnnxTensor v = a.t();
                yield v.isExternal() ? ctx.readExternal(v) : v;
            }
            case "value_float" -> OnnxTensor.ofFloats(out, new float[]{a.f()});
            case "value_floats" -> OnnxTensor.ofFloats(out, a.floats(), a.floatCount());
            case "value_int" -> OnnxTensor.ofLongs(out, new long[]{a.i()});
            case "value_ints" -> OnnxTensor.ofLongs(out, a.ints(), a.intCount());
            default -> throw ctx.unsupported(ctx.at(n) + ": Constant attribute '" + a.name() + "' is not supported");
        };
        ctx.putConst(out, t);
    }

    static void identity(ImportContext ctx, OnnxNode n) {
        if (n.opType().equals("Dropout")) {
            if (ctx.hasInput(n, 2)) {
                Value tm = ctx.value(n, 2);
                if (!(tm instanceof Const c) || anyNonZero(c)) {
                    throw ctx.unsupported(ctx.at(n)
                            + ": Dropout in training mode is not supported (input 'training_mode')");
                }
            }
            for (int k = 1; k < n.outputs().size(); k++) {
                if (!n.outputs().get(k).isEmpty()) {
                    ctx.put(n.outputs().get(k), new Unavailable("the mask output of Dropout " + ctx.at(n)
                            + ", which thinet4j does not support"));
                }
            }
        }
        Value v = ctx.value(n, 0);
        String out = ctx.output(n);
        if (v instanceof Const c) {
            ctx.putConst(out, c.tensor());
        } else if (v instanceof ShapeVec s) {
            ctx.put(out, s);
        } else {
            ctx.emit(n, new Op.Identity(), ctx.act(n, 0));
        }
    }

    private static boolean anyNonZero(Const c) {
        for (float f : c.tensor().toFloatArray()) {
            if (f != 0) {
                return true;
            }
        }
        return false;
    }

    static void cast(ImportContext ctx, OnnxNode n) {
        long to = ctx.attrInt(n, "to", -1);
        Value v = ctx.value(n, 0);
        String out = ctx.output(n);
        boolean toInt = to == OnnxTensor.INT64 || to == OnnxTensor.INT32;
        if (v instanceof Const c) {
            OnnxTensor t;
            if (to == OnnxTensor.FLOAT) {
                t = OnnxTensor.ofFloats(out, c.tensor().toFloatArray(), c.dims());
            } else if (toInt) {
                t = OnnxTensor.ofLongs(out, longs(c), c.dims());
            } else {
                throw ctx.unsupported(ctx.at(n) + ": Cast of constant '" + c.name() + "' to "
                        + OnnxTensor.dataTypeName((int) to) + " is not supported");
            }
            ctx.put(out, new Const(out, t, false));
        } else if (v instanceof ShapeVec s && toInt) {
            ctx.put(out, s);
        } else if (v instanceof Act a && to == OnnxTensor.FLOAT) {
            ctx.emit(n, new Op.Identity(), a);
        } else {
            throw ctx.unsupported(ctx.at(n) + ": Cast of '" + n.inputs().get(0) + "' to "
                    + OnnxTensor.dataTypeName((int) to) + " is not supported");
        }
    }

    /** A constant's values as longs (floats truncated toward zero). */
    static long[] longs(Const c) {
        if (c.isInteger()) {
            return c.tensor().toLongArray();
        }
        float[] f = c.tensor().toFloatArray();
        long[] l = new long[f.length];
        for (int k = 0; k < f.length; k++) {
            l[k] = (long) f[k];
        }
        return l;
    }

    // ------------------------------------------------------------------ shapes

    static void shape(ImportContext ctx, OnnxNode n) {
        Value v = ctx.value(n, 0);
        long[] vals;
        boolean[] batch;
        if (v instanceof Act a) {
            vals = new long[a.shape().length];
            batch = new boolean[vals.length];
            for (int k = 0; k < vals.length; k++) {
                vals[k] = a.shape()[k];
            }
            batch[0] = true;
        } else if (v instanceof Const c) {
            vals = c.dims();
            batch = new boolean[vals.length];
        } else if (v instanceof ShapeVec s) {
            vals = s.scalar() ? new long[0] : new long[]{s.length()};
            batch = new boolean[vals.length];
        } else {
            throw ctx.unsupported(ctx.at(n) + ": Shape of '" + n.inputs().get(0) + "' is not supported");
        }
        int r = vals.length;
        int start = (int) clampAxis(ctx.attrInt(n, "start", 0), r);
        int end = (int) clampAxis(ctx.attrInt(n, "end", r), r);
        end = Math.max(start, end);
        ctx.put(ctx.output(n), new ShapeVec(Arrays.copyOfRange(vals, start, end), Arrays.copyOfRange(batch, start, end),
                false));
    }

    static long clampAxis(long a, int rank) {
        long x = a < 0 ? a + rank : a;
        return Math.max(0, Math.min(rank, x));
    }

    static void gather(ImportContext ctx, OnnxNode n) {
        Value data = ctx.value(n, 0);
        if (data instanceof Act x) {
            channelGather(ctx, n, x);
            return;
        }
        ShapeVec s = ctx.shapeOf(n, 0);
        if (s == null) {
            throw ctx.unsupported(ctx.at(n) + ": Gather is supported only on the channels of activations, tensor"
                    + " shapes (x.size(k)) and integer constants, not on the constant '" + n.inputs().get(0) + "'");
        }
        if (ctx.attrInt(n, "axis", 0) != 0) {
            throw ctx.unsupported(ctx.at(n) + ": Gather on a shape must use axis 0");
        }
        if (s.scalar()) {
            throw ctx.fail(ctx.at(n) + ": Gather of the scalar '" + n.inputs().get(0) + "'");
        }
        Const idx = ctx.constInput(n, 1, "indices");
        if (idx.dims().length > 1) {
            throw ctx.unsupported(ctx.at(n) + ": Gather with indices of shape " + Arrays.toString(idx.dims())
                    + " is not supported on shapes");
        }
        long[] ix = idx.tensor().toLongArray();
        long[] vals = new long[ix.length];
        boolean[] batch = new boolean[ix.length];
        for (int k = 0; k < ix.length; k++) {
            long j = ix[k] < 0 ? ix[k] + s.length() : ix[k];
            if (j < 0 || j >= s.length()) {
                throw ctx.fail(ctx.at(n) + ": index " + ix[k] + " is outside the shape " + s.format());
            }
            vals[k] = s.vals()[(int) j];
            batch[k] = s.batch()[(int) j];
        }
        ctx.put(ctx.output(n), new ShapeVec(vals, batch, idx.dims().length == 0));
    }

    /**
     * Gather of an activation: only along the channel axis (1, or 1 − rank) with constant 1-D integer indices,
     * negative ones counted from the end, as {@link Op.ChannelGather}. A scalar index (which drops the axis)
     * and other axes are refused.
     */
    private static void channelGather(ImportContext ctx, OnnxNode n, Act x) {
        int rank = x.rank();
        long axis = ctx.attrInt(n, "axis", 0);
        long ax = axis < 0 ? axis + rank : axis;
        if (ax != 1) {
            throw ctx.unsupported(ctx.at(n) + ": Gather of the activation '" + n.inputs().get(0) + "' "
                    + ImportContext.shapeText(x.shape()) + " along axis " + axis
                    + " is not supported; only along the channel axis 1");
        }
        Value iv = ctx.value(n, 1);
        Const idx = iv instanceof Act ? null : ImportContext.asConst(iv, n.inputs().get(1));
        if (idx == null || !idx.isInteger()) {
            throw ctx.unsupported(ctx.at(n) + ": the indices '" + n.inputs().get(1) + "' of a Gather on the channels"
                    + " of '" + n.inputs().get(0) + "' must be a constant integer tensor");
        }
        if (idx.dims().length != 1) {
            throw ctx.unsupported(ctx.at(n) + ": Gather on the channels of '" + n.inputs().get(0)
                    + "' needs 1-D indices, got shape " + Arrays.toString(idx.dims())
                    + (idx.dims().length == 0 ? " (a scalar index drops the channel axis)" : ""));
        }
        long[] ix = idx.tensor().toLongArray();
        if (ix.length == 0) {
            throw ctx.unsupported(ctx.at(n) + ": Gather of no channels of '" + n.inputs().get(0) + "'");
        }
        int c = x.shape()[1];
        int[] indices = new int[ix.length];
        for (int k = 0; k < ix.length; k++) {
            long j = ix[k] < 0 ? ix[k] + c : ix[k];
            if (j < 0 || j >= c) {
                throw ctx.fail(ctx.at(n) + ": index " + ix[k] + " is outside the " + c + " channels of '"
                        + n.inputs().get(0) + "' " + ImportContext.shapeText(x.shape()));
            }
            indices[k] = (int) j;
        }
        ctx.emit(n, new Op.ChannelGather(indices), x);
    }

    /** Slice of a 1-D shape vector or integer constant along axis 0 (e.g. {@code x.shape[0:1]}). */
    static void sliceShape(ImportContext ctx, OnnxNode n, ShapeVec s, long[] starts, long[] ends, long[] axes,
                           long[] steps) {
        if (s.scalar() || starts == null || ends == null || starts.length != 1 || ends.length != 1
                || (axes != null && (axes.length != 1 || (axes[0] != 0 && axes[0] != -1)))
                || (steps != null && (steps.length != 1 || steps[0] != 1))) {
            throw ctx.unsupported(ctx.at(n) + ": only a step-1 Slice along axis 0 of a shape is supported");
        }
        int len = s.length();
        int from = (int) clampAxis(starts[0], len);
        int to = (int) clampAxis(Math.min(ends[0], Integer.MAX_VALUE), len);
        to = Math.max(from, to);
        ctx.put(ctx.output(n), new ShapeVec(Arrays.copyOfRange(s.vals(), from, to),
                Arrays.copyOfRange(s.batch(), from, to), false));
    }

    static void unsqueeze(ImportContext ctx, OnnxNode n, boolean unsqueeze) {
        Value v = ctx.value(n, 0);
        long[] axes = ctx.axesOf(n);
        String out = ctx.output(n);
        String op = n.opType();
        if (v instanceof ShapeVec s) {
            if (unsqueeze && s.scalar() && axes != null && axes.length == 1 && (axes[0] == 0 || axes[0] == -1)) {
                ctx.put(out, new ShapeVec(s.vals(), s.batch(), false));
                return;
            }
            if (!unsqueeze && !s.scalar() && s.length() == 1 && (axes == null
                    || (axes.length == 1 && (axes[0] == 0 || axes[0] == -1)))) {
                ctx.put(out, new ShapeVec(s.vals(), s.batch(), true));
                return;
            }
            throw ctx.unsupported(ctx.at(n) + ": " + op + " of the shape value " + s.format() + " with axes "
                    + Arrays.toString(axes) + " is not supported");
        }
        if (v instanceof Const c) {
            long[] dims = c.dims();
            List<Long> d = new ArrayList<>();
            for (long x : dims) {
                d.add(x);
            }
            if (unsqueeze) {
                if (axes == null) {
                    throw ctx.fail(ctx.at(n) + ": Unsqueeze needs axes");
                }
                int outRank = dims.length + axes.length;
                long[] norm = new long[axes.length];
                for (int k = 0; k < axes.length; k++) {
                    norm[k] = axes[k] < 0 ? axes[k] + outRank : axes[k];
                    if (norm[k] < 0 || norm[k] >= outRank) {
                        throw ctx.fail(ctx.at(n) + ": axis " + axes[k] + " is out of range for rank " + outRank);
                    }
                }
                Arrays.sort(norm);
                for (long a : norm) {
                    d.add((int) a, 1L);
                }
            } else {
                Set<Long> drop = new HashSet<>();
                if (axes == null) {
                    for (int k = 0; k < dims.length; k++) {
                        if (dims[k] == 1) {
                            drop.add((long) k);
                        }
                    }
                } else {
                    for (long a : axes) {
                        drop.add(a < 0 ? a + dims.length : a);
                    }
                }
                d.clear();
                for (int k = 0; k < dims.length; k++) {
                    if (!drop.contains((long) k)) {
                        d.add(dims[k]);
                    }
                }
            }
            long[] nd = d.stream().mapToLong(Long::longValue).toArray();
            ctx.put(out, new Const(out, reshapeConst(c, out, nd), false));
            return;
        }
        throw ctx.unsupported(ctx.at(n) + ": " + op + " of an activation is not supported");
    }

    static OnnxTensor reshapeConst(Const c, String name, long[] dims) {
        if (c.isInteger()) {
            return OnnxTensor.ofLongs(name, c.tensor().toLongArray(), dims);
        }
        return OnnxTensor.ofFloats(name, c.tensor().toFloatArray(), dims);
    }

    /** Concatenation of 1-D shape vectors and integer constants along axis 0. */
    static void concatShapes(ImportContext ctx, OnnxNode n, long axis) {
        if (axis != 0 && axis != -1) {
            throw ctx.fail(ctx.at(n) + ": Concat of 1-D shapes must use axis 0");
        }
        List<Long> vals = new ArrayList<>();
        List<Boolean> batch = new ArrayList<>();
        for (int k = 0; k < n.inputs().size(); k++) {
            ShapeVec s = ctx.shapeOf(n, k);
            if (s.scalar()) {
                throw ctx.fail(ctx.at(n) + ": Concat of a scalar '" + n.inputs().get(k) + "'");
            }
            for (int j = 0; j < s.length(); j++) {
                vals.add(s.vals()[j]);
                batch.add(s.batch()[j]);
            }
        }
        boolean[] b = new boolean[batch.size()];
        for (int j = 0; j < b.length; j++) {
            b[j] = batch.get(j);
        }
        ctx.put(ctx.output(n), new ShapeVec(vals.stream().mapToLong(Long::longValue).toArray(), b, false));
    }

    /** Concatenation of constants (any type, equal ranks) along {@code axis}. */
    static void concatConsts(ImportContext ctx, OnnxNode n, List<Const> cs, long axis) {
        long[] first = cs.get(0).dims();
        int rank = first.length;
        int ax = (int) (axis < 0 ? axis + rank : axis);
        if (rank == 0 || ax < 0 || ax >= rank) {
            throw ctx.fail(ctx.at(n) + ": Concat axis " + axis + " is out of range for rank " + rank);
        }
        boolean integer = true;
        long[] outDims = first.clone();
        outDims[ax] = 0;
        for (Const c : cs) {
            long[] d = c.dims();
            if (d.length != rank) {
                throw ctx.fail(ctx.at(n) + ": Concat of constants of different ranks");
            }
            for (int i = 0; i < rank; i++) {
                if (i != ax && d[i] != first[i]) {
                    throw ctx.fail(ctx.at(n) + ": Concat of constants " + Arrays.toString(first) + " and "
                            + Arrays.toString(d) + " that differ outside axis " + axis);
                }
            }
            outDims[ax] += d[ax];
            integer &= c.isInteger();
        }
        long outer = 1;
        for (int i = 0; i < ax; i++) {
            outer *= first[i];
        }
        long inner = 1;
        for (int i = ax + 1; i < rank; i++) {
            inner *= first[i];
        }
        int total = Math.toIntExact(outer * outDims[ax] * inner);
        long[] l = integer ? new long[total] : null;
        float[] f = integer ? null : new float[total];
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (Const c : cs) {
                int chunk = Math.toIntExact(c.dims()[ax] * inner);
                int from = Math.toIntExact(o * chunk);
                if (integer) {
                    System.arraycopy(c.tensor().toLongArray(), from, l, pos, chunk);
                } else {
                    System.arraycopy(c.tensor().toFloatArray(), from, f, pos, chunk);
                }
                pos += chunk;
            }
        }
        String out = ctx.output(n);
        ctx.putConst(out, integer ? OnnxTensor.ofLongs(out, l, outDims) : OnnxTensor.ofFloats(out, f, outDims));
    }

    // ------------------------------------------------------------------ arithmetic

    /**
     * Element-wise arithmetic of two shape vectors or integer scalars (length-1 vectors and scalars
     * broadcast), e.g. {@code c // g}.
     */
    static void shapeArith(ImportContext ctx, OnnxNode n, Arith arith, ShapeVec a, ShapeVec b) {
        int len = a.scalar() ? b.length() : b.scalar() ? a.length() : Math.max(a.length(), b.length());
        if (!a.scalar() && !b.scalar() && a.length() != b.length() && a.length() != 1 && b.length() != 1) {
            throw ctx.fail(ctx.at(n) + ": shape values " + a.format() + " and " + b.format() + " do not broadcast");
        }
        long[] vals = new long[len];
        boolean[] batch = new boolean[len];
        for (int k = 0; k < len; k++) {
            int ia = a.length() == 1 ? 0 : k;
            int ib = b.length() == 1 ? 0 : k;
            long x = a.vals()[ia];
            long y = b.vals()[ib];
            boolean bx = a.batch()[ia];
            boolean by = b.batch()[ib];
            if (bx && by) {
                throw ctx.unsupported(ctx.at(n) + ": " + arith.onnxType() + " of the batch size with itself ("
                        + a.format() + ", " + b.format() + ") is not supported");
            }
            if (bx || by) {
                long other = bx ? y : x;
                boolean neutral = switch (arith) {
                    case ADD -> other == 0;
                    case SUB -> bx && other == 0;
                    case MUL -> other == 1;
                    case DIV -> bx && other == 1;
                    case POW -> bx && other == 1;
                };
                if (!neutral) {
                    throw ctx.unsupported(ctx.at(n) + ": " + arith.onnxType() + " of " + a.format() + " and "
                            + b.format() + " computes with the free batch size, which is not supported");
                }
                vals[k] = bx ? x : y;
                batch[k] = true;
                continue;
            }
            vals[k] = longArith(ctx, n, arith, x, y);
        }
        ctx.put(ctx.output(n), new ShapeVec(vals, batch, a.scalar() && b.scalar()));
    }

    private static long longArith(ImportContext ctx, OnnxNode n, Arith arith, long x, long y) {
        return switch (arith) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> {
                if (y == 0) {
                    throw ctx.fail(ctx.at(n) + ": integer division by zero");
                }
                yield x / y;
            }
            case POW -> {
                if (y < 0) {
                    throw ctx.unsupported(ctx.at(n) + ": integer Pow with a negative exponent");
                }
                long r = 1;
                for (long k = 0; k < y && k < 64; k++) {
                    r *= x;
                }
                yield r;
            }
        };
    }

    /** Folds arithmetic of two constants with NumPy broadcasting. */
    static void constArith(ImportContext ctx, OnnxNode n, Arith arith, Const a, Const b) {
        long[] da = a.dims();
        long[] db = b.dims();
        long[] out;
        try {
            out = Shapes.broadcast(da, db);
        } catch (IllegalArgumentException e) {
            throw ctx.fail(ctx.at(n) + ": constants " + Arrays.toString(da) + " and " + Arrays.toString(db)
                    + " do not broadcast");
        }
        int r = out.length;
        long total = 1;
        for (long d : out) {
            total *= d;
        }
        int size = Math.toIntExact(total);
        boolean integer = a.isInteger() && b.isInteger();
        long[] la = integer ? a.tensor().toLongArray() : null;
        long[] lb = integer ? b.tensor().toLongArray() : null;
        float[] fa = integer ? null : a.tensor().toFloatArray();
        float[] fb = integer ? null : b.tensor().toFloatArray();
        long[] lr = integer ? new long[size] : null;
        float[] fr = integer ? null : new float[size];
        int[] idx = new int[r];
        for (int flat = 0; flat < size; flat++) {
            int ia = broadcastIndex(idx, da, r);
            int ib = broadcastIndex(idx, db, r);
            if (integer) {
                lr[flat] = longArith(ctx, n, arith, la[ia], lb[ib]);
            } else {
                fr[flat] = arith.apply(fa[ia], fb[ib]);
            }
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < out[i]) {
                    break;
                }
                idx[i] = 0;
            }
        }
        String name = ctx.output(n);
        ctx.putConst(name, integer ? OnnxTensor.ofLongs(name, lr, out) : OnnxTensor.ofFloats(name, fr, out));
    }

    private static int broadcastIndex(int[] idx, long[] dims, int r) {
        int off = r - dims.length;
        long flat = 0;
        for (int i = 0; i < dims.length; i++) {
            long d = dims[i];
            flat = flat * d + (d == 1 ? 0 : idx[i + off]);
        }
        return (int) flat;
    }

    /** Transpose of a constant. */
    static void transposeConst(ImportContext ctx, OnnxNode n, Const c, long[] perm) {
        long[] d = c.dims();
        int r = d.length;
        if (perm == null) {
            perm = new long[r];
            for (int i = 0; i < r; i++) {
                perm[i] = r - 1 - i;
            }
        }
        if (perm.length != r) {
            throw ctx.fail(ctx.at(n) + ": perm " + Arrays.toString(perm) + " does not fit the constant "
                    + Arrays.toString(d));
        }
        long[] outDims = new long[r];
        for (int i = 0; i < r; i++) {
            outDims[i] = d[(int) perm[i]];
        }
        long[] stride = new long[r];
        long s = 1;
        for (int i = r - 1; i >= 0; i--) {
            stride[i] = s;
            s *= d[i];
        }
        int size = Math.toIntExact(s);
        boolean integer = c.isInteger();
        long[] li = integer ? c.tensor().toLongArray() : null;
        float[] fi = integer ? null : c.tensor().toFloatArray();
        long[] lo = integer ? new long[size] : null;
        float[] fo = integer ? null : new float[size];
        int[] idx = new int[r];
        for (int flat = 0; flat < size; flat++) {
            long src = 0;
            for (int i = 0; i < r; i++) {
                src += idx[i] * stride[(int) perm[i]];
            }
            if (integer) {
                lo[flat] = li[(int) src];
            } else {
                fo[flat] = fi[(int) src];
            }
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < outDims[i]) {
                    break;
                }
                idx[i] = 0;
            }
        }
        String name = ctx.output(n);
        ctx.putConst(name, integer ? OnnxTensor.ofLongs(name, lo, outDims) : OnnxTensor.ofFloats(name, fo, outDims));
    }
}
