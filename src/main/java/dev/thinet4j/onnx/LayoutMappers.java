package dev.thinet4j.onnx;

import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.Value.Act;
import dev.thinet4j.onnx.Value.Const;
import dev.thinet4j.onnx.Value.ShapeVec;
import dev.thinet4j.onnx.proto.OnnxNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Layout ops on activations (their constant and shape forms fold, see {@link ShapeFolding}):
 * Reshape, Flatten, Transpose, Slice, Split, Concat, Resize and Upsample, and the channel-shuffle
 * pattern Reshape [N, g, C/g, H, W] → Transpose (0, 2, 1, 3, 4) → Reshape [N, C, H, W], recognised
 * at its last Reshape and emitted as one {@link Op.ChannelShuffle} when the intermediate tensors
 * have no other consumers.
 */
final class LayoutMappers {
    /** An end at least this large means "to the end of the axis" (torch writes INT64_MAX). */
    private static final long TO_END = Integer.MAX_VALUE;

    private LayoutMappers() {
    }

    static void register(Map<String, OpMapper> r) {
        r.put("Reshape", LayoutMappers::reshape);
        r.put("Flatten", LayoutMappers::flatten);
        r.put("Transpose", LayoutMappers::transpose);
        r.put("Slice", LayoutMappers::slice);
        r.put("Split", LayoutMappers::split);
        r.put("Concat", LayoutMappers::concat);
        r.put("Resize", LayoutMappers::resize);
        r.put("Upsample", LayoutMappers::resize);
    }

    // ------------------------------------------------------------------ Reshape and Flatten

    static void reshape(ImportContext ctx, OnnxNode n) {
        Value data = ctx.value(n, 0);
        ShapeVec target = ctx.shapeOf(n, 1);
        if (target == null) {
            throw ctx.unsupported(ctx.at(n) + ": the target shape '" + n.inputs().get(1)
                    + "' must be an integer constant or computed from tensor shapes");
        }
        boolean allowZero = ctx.attrInt(n, "allowzero", 0) != 0;
        String out = ctx.output(n);
        if (data instanceof Const c) {
            long[] dims = resolveConstReshape(ctx, n, c.dims(), target, allowZero);
            ctx.put(out, new Const(out, ShapeFolding.reshapeConst(c, out, dims), false));
            return;
        }
        if (!(data instanceof Act x)) {
            throw ctx.unsupported(ctx.at(n) + ": Reshape of a shape value is not supported");
        }
        int[] dims = resolveActReshape(ctx, n, x, target, allowZero);
        if (channelShuffle(ctx, n, dims)) {
            return;
        }
        if (dims.length == 1 && x.rank() >= 2) {
            ctx.emit(n, new Op.Flatten(1), x);
        } else {
            ctx.emit(n, new Op.Reshape(dims), x);
        }
    }

    /** The dimensions after the batch of an activation Reshape that keeps the batch first. */
    private static int[] resolveActReshape(ImportContext ctx, OnnxNode n, Act x, ShapeVec target, boolean allowZero) {
        int[] in = x.shape();
        long feat = 1;
        for (int k = 1; k < in.length; k++) {
            feat *= in[k];
        }
        String what = ctx.at(n) + ": Reshape of " + ImportContext.shapeText(in) + " to " + target.format();
        if (target.scalar() || target.length() < 2) {
            throw ctx.unsupported(what + " is not supported; the target must keep the batch as its first axis");
        }
        long e0 = target.vals()[0];
        boolean batchFirst = target.batch()[0] || (e0 == 0 && !allowZero) || e0 > 0;
        if (!batchFirst && e0 != -1) {
            throw ctx.unsupported(what + " is not supported; the target must keep the batch as its first axis");
        }
        int len = target.length() - 1;
        long[] out = new long[len];
        int minus = -1;
        long known = 1;
        for (int k = 0; k < len; k++) {
            int pos = k + 1;
            if (target.batch()[pos]) {
                throw ctx.unsupported(what + " moves the batch size to position " + pos + ", which is not supported");
            }
            long e = target.vals()[pos];
            if (e == 0 && !allowZero) {
                if (pos >= in.length) {
                    throw ctx.fail(what + ": 0 at position " + pos + " has no input dimension");
                }
                e = in[pos];
            }
            if (e == -1) {
                if (minus >= 0 || !batchFirst) {
                    throw ctx.fail(what + ": more than one -1 in the target shape");
                }
                minus = k;
            } else if (e <= 0) {
                throw ctx.unsupported(what + " is not supported (dimension " + e + ")");
            } else {
                out[k] = e;
                known *= e;
            }
        }
        if (minus >= 0) {
            if (feat % known != 0) {
                throw ctx.fail(what + ": " + feat + " values per sample do not divide into the known dimensions");
            }
            out[minus] = feat / known;
            known = feat;
        }
        if (known != feat) {
            throw ctx.unsupported(what + " is not supported; it would mix the batch axis with the others (only a "
                    + "reshape that keeps the batch first, e.g. [batch, -1] or [0, g, -1, h, w], is)");
        }
        int[] dims = new int[len];
        for (int k = 0; k < len; k++) {
            dims[k] = Math.toIntExact(out[k]);
        }
        return dims;
    }

    private static long[] resolveConstReshape(ImportContext ctx, OnnxNode n, long[] in, ShapeVec target,
                                              boolean allowZero) {
        long total = 1;
        for (long d : in) {
            total *= d;
        }
        long[] out = new long[target.length()];
        int minus = -1;
        long known = 1;
        for (int k = 0; k < out.length; k++) {
            if (target.batch()[k]) {
                throw ctx.unsupported(ctx.at(n) + ": Reshape of a constant to a batch-dependent shape");
            }
            long e = target.vals()[k];
            if (e == 0 && !allowZero) {
                if (k >= in.length) {
                    throw ctx.fail(ctx.at(n) + ": 0 at position " + k + " of the target shape has no input dimension");
                }
                e = in[k];
            }
            if (e == -1) {
                if (minus >= 0) {
                    throw ctx.fail(ctx.at(n) + ": more than one -1 in the target shape " + target.format());
                }
                minus = k;
            } else {
                out[k] = e;
                known *= e;
            }
        }
        if (minus >= 0) {
            if (known == 0 || total % known != 0) {
                throw ctx.fail(ctx.at(n) + ": cannot reshape " + Arrays.toString(in) + " to " + target.format());
            }
            out[minus] = total / known;
        } else if (known != total) {
            throw ctx.fail(ctx.at(n) + ": cannot reshape " + Arrays.toString(in) + " to " + target.format());
        }
        return out;
    }

    /**
     * Reshape [N, g, C/g, H, W] → Transpose (0, 2, 1, 3, 4) → this Reshape to [N, C, H, W]: one
     * ChannelShuffle(g) when the two intermediate tensors are used only here.
     */
    private static boolean channelShuffle(ImportContext ctx, OnnxNode n, int[] dims) {
        String t = n.inputs().get(0);
        OnnxNode tr = ctx.producer(t);
        if (tr == null || !tr.opType().equals("Transpose") || !ctx.soleUse(t) || tr.inputs().isEmpty()) {
            return false;
        }
        long[] perm = ctx.attrInts(tr, "perm", null);
        if (perm == null || !Arrays.equals(perm, new long[]{0, 2, 1, 3, 4})) {
            return false;
        }
        String r = tr.inputs().get(0);
        OnnxNode first = ctx.producer(r);
        if (first == null || !first.opType().equals("Reshape") || !ctx.soleUse(r) || first.inputs().isEmpty()) {
            return false;
        }
        if (!(ctx.values.get(r) instanceof Act grouped) || !(ctx.values.get(first.inputs().get(0)) instanceof Act x)) {
            return false;
        }
        int[] g = grouped.shape();
        int[] s = x.shape();
        if (s.length != 4 || g.length != 5 || g[1] * g[2] != s[1] || g[3] != s[2] || g[4] != s[3]
                || !Arrays.equals(dims, new int[]{s[1], s[2], s[3]})) {
            return false;
        }
        ctx.emit(n, new Op.ChannelShuffle(g[1]), x);
        return true;
    }

    static void flatten(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        int rank = x.shape().length;
        long axis = ctx.attrInt(n, "axis", 1);
        long ax = axis < 0 ? axis + rank : axis;
        if (ax != 1) {
            throw ctx.unsupported(ctx.at(n) + ": Flatten with axis " + axis + " (input rank " + rank
                    + ") is not supported; only axis 1 (keep the batch) is");
        }
        ctx.emit(n, new Op.Flatten(1), x);
    }

    // ------------------------------------------------------------------ Transpose

    static void transpose(ImportContext ctx, OnnxNode n) {
        Value v = ctx.value(n, 0);
        long[] perm = ctx.attrInts(n, "perm", null);
        if (v instanceof Const c) {
            ShapeFolding.transposeConst(ctx, n, c, perm);
            return;
        }
        Act x = ctx.act(n, 0);
        int rank = x.rank();
        if (perm == null) {
            throw ctx.unsupported(ctx.at(n) + ": Transpose without 'perm' reverses the axes and moves the batch axis,"
                    + " which is not supported");
        }
        if (perm.length != rank) {
            throw ctx.fail(ctx.at(n) + ": perm " + Arrays.toString(perm) + " does not fit the input "
                    + ImportContext.shapeText(x.shape()));
        }
        int[] p = new int[rank];
        for (int k = 0; k < rank; k++) {
            p[k] = Math.toIntExact(perm[k]);
        }
        if (p[0] != 0) {
            throw ctx.unsupported(ctx.at(n) + ": Transpose with perm " + Arrays.toString(perm)
                    + " moves the batch axis, which is not supported; only permutations keeping axis 0 first are");
        }
        ctx.emit(n, new Op.Transpose(p), x);
    }

    // ------------------------------------------------------------------ Slice and Split

    static void slice(ImportContext ctx, OnnxNode n) {
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps;
        if (ctx.opset < 10) {
            starts = ctx.attrInts(n, "starts", null);
            ends = ctx.attrInts(n, "ends", null);
            axes = ctx.attrInts(n, "axes", null);
            steps = null;
        } else {
            starts = ctx.constInput(n, 1, "starts").tensor().toLongArray();
            ends = ctx.constInput(n, 2, "ends").tensor().toLongArray();
            axes = ctx.optionalLongs(n, 3, "axes");
            steps = ctx.optionalLongs(n, 4, "steps");
        }
        Value v = ctx.value(n, 0);
        if (!(v instanceof Act x)) {
            ShapeVec s = ctx.shapeOf(n, 0);
            if (s == null) {
                throw ctx.unsupported(ctx.at(n) + ": Slice of the constant '" + n.inputs().get(0)
                        + "' is not supported; only of activations, tensor shapes and 1-D integer constants");
            }
            ShapeFolding.sliceShape(ctx, n, s, starts, ends, axes, steps);
            return;
        }
        if (starts == null || ends == null || starts.length != ends.length
                || (axes != null && axes.length != starts.length) || (steps != null && steps.length != starts.length)) {
            throw ctx.fail(ctx.at(n) + ": starts, ends, axes and steps must have one entry per sliced axis");
        }
        int rank = x.rank();
        int[] shape = x.shape();
        List<Op.Slice> ops = new ArrayList<>();
        boolean[] seen = new boolean[rank];
        for (int k = 0; k < starts.length; k++) {
            long a = axes == null ? k : axes[k];
            long ax = a < 0 ? a + rank : a;
            if (ax < 0 || ax >= rank || seen[(int) ax]) {
                throw ctx.fail(ctx.at(n) + ": axis " + a + " is out of range or repeated for rank " + rank);
            }
            seen[(int) ax] = true;
            if (steps != null && steps[k] != 1) {
                throw ctx.unsupported(ctx.at(n) + ": Slice with step " + steps[k] + " is not supported; only step 1");
            }
            if (ax == 0) {
                if (starts[k] == 0 && ends[k] >= TO_END) {
                    continue;
                }
                throw ctx.unsupported(ctx.at(n) + ": Slice of the batch axis is not supported");
            }
            int dim = shape[(int) ax];
            int from = (int) clamp(starts[k], dim);
            int to = (int) clamp(ends[k], dim);
            if (to <= from) {
                throw ctx.unsupported(ctx.at(n) + ": Slice [" + starts[k] + ", " + ends[k] + ") of axis " + a
                        + " of " + ImportContext.shapeText(shape) + " is empty");
            }
            if (from != 0 || to != dim) {
                ops.add(new Op.Slice((int) ax, from, to));
            }
        }
        String out = ctx.output(n);
        if (ops.isEmpty()) {
            ctx.emit(n, new Op.Identity(), x);
            return;
        }
        Act cur = x;
        for (int k = 0; k < ops.size(); k++) {
            boolean last = k == ops.size() - 1;
            cur = ctx.emit(n, last ? out : out + "#" + k, ops.get(k), cur);
        }
    }

    /** ONNX Slice bounds: negative counts from the end, then clamped to [0, dim]. */
    private static long clamp(long v, int dim) {
        long x = v < 0 ? v + dim : v;
        return Math.max(0, Math.min(dim, x));
    }

    /** Split along a non-batch axis: one Slice node per output. */
    static void split(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        int rank = x.rank();
        long a = ctx.attrInt(n, "axis", 0);
        long ax = a < 0 ? a + rank : a;
        if (ax < 0 || ax >= rank) {
            throw ctx.fail(ctx.at(n) + ": axis " + a + " is out of range for rank " + rank);
        }
        if (ax == 0) {
            throw ctx.unsupported(ctx.at(n) + ": Split along the batch axis is not supported");
        }
        int dim = x.shape()[(int) ax];
        int outs = n.outputs().size();
        long[] split = ctx.opset >= 13 ? ctx.optionalLongs(n, 1, "split") : ctx.attrInts(n, "split", null);
        if (split == null) {
            if (outs < 1) {
                throw ctx.fail(ctx.at(n) + " has no outputs");
            }
            int part = (dim + outs - 1) / outs;
            split = new long[outs];
            long left = dim;
            for (int k = 0; k < outs; k++) {
                split[k] = Math.min(part, left);
                left -= split[k];
            }
            if (ctx.opset < 18 && dim % outs != 0) {
                throw ctx.fail(ctx.at(n) + ": axis " + a + " of length " + dim + " does not split into " + outs
                        + " equal parts");
            }
        }
        if (split.length != outs) {
            throw ctx.fail(ctx.at(n) + ": split " + Arrays.toString(split) + " has " + split.length + " parts for "
                    + outs + " outputs");
        }
        long sum = 0;
        for (long s : split) {
            if (s <= 0) {
                throw ctx.unsupported(ctx.at(n) + ": split " + Arrays.toString(split) + " has an empty part");
            }
            sum += s;
        }
        if (sum != dim) {
            throw ctx.fail(ctx.at(n) + ": split " + Arrays.toString(split) + " does not add up to " + dim
                    + " (axis " + a + " of " + ImportContext.shapeText(x.shape()) + ")");
        }
        int start = 0;
        for (int k = 0; k < outs; k++) {
            int end = start + (int) split[k];
            String out = n.outputs().get(k);
            if (!out.isEmpty()) {
                ctx.emit(n, out, new Op.Slice((int) ax, start, end), x);
            }
            start = end;
        }
    }

    // ------------------------------------------------------------------ Concat

    static void concat(ImportContext ctx, OnnxNode n) {
        if (n.inputs().isEmpty()) {
            throw ctx.fail(ctx.at(n) + " has no inputs");
        }
        List<Value> ins = new ArrayList<>();
        boolean allAct = true;
        boolean allShape = true;
        boolean allConst = true;
        for (int k = 0; k < n.inputs().size(); k++) {
            Value v = ctx.value(n, k);
            ins.add(v);
            allAct &= v instanceof Act;
            allShape &= v instanceof ShapeVec || (v instanceof Const c && c.isInteger() && c.dims().length == 1);
            allConst &= ImportContext.asConst(v, n.inputs().get(k)) != null;
        }
        long axis = ctx.attrInt(n, "axis", Long.MIN_VALUE);
        if (axis == Long.MIN_VALUE) {
            throw ctx.fail(ctx.at(n) + ": Concat needs the attribute 'axis'");
        }
        if (allAct) {
            int rank = ((Act) ins.get(0)).shape().length;
            for (int k = 1; k < ins.size(); k++) {
                int[] s = ((Act) ins.get(k)).shape();
                if (s.length != rank) {
                    throw ctx.fail(ctx.at(n) + ": Concat of inputs of different ranks: '" + n.inputs().get(0) + "' is "
                            + ImportContext.shapeText(((Act) ins.get(0)).shape()) + ", '" + n.inputs().get(k)
                            + "' is " + ImportContext.shapeText(s));
                }
            }
            int ax = (int) (axis < 0 ? axis + rank : axis);
            ctx.emit(n, new Op.Concat(ax), ins.stream().map(v -> (Act) v).toArray(Act[]::new));
            return;
        }
        if (allShape) {
            ShapeFolding.concatShapes(ctx, n, axis);
            return;
        }
        if (allConst) {
            List<Const> cs = new ArrayList<>();
            for (int k = 0; k < ins.size(); k++) {
                cs.add(ImportContext.asConst(ins.get(k), n.inputs().get(k)));
            }
            ShapeFolding.concatConsts(ctx, n, cs, axis);
            return;
        }
        throw ctx.unsupported(ctx.at(n) + ": Concat mixes activations with constants; only activations (or only"
                + " constants and shapes) can be concatenated");
    }

    // ------------------------------------------------------------------ Resize and Upsample

    /** Nearest-neighbour upsampling by integer factors of H and W. */
    static void resize(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        String type = n.opType();
        String mode = ctx.attrString(n, "mode", "nearest");
        if (!mode.equals("nearest")) {
            throw ctx.unsupported(ctx.at(n) + ": " + type + " mode '" + mode + "' is not supported; only 'nearest'"
                    + " with integer scales is");
        }
        if (x.rank() != 4) {
            throw ctx.unsupported(ctx.at(n) + ": " + type + " of " + ImportContext.shapeText(x.shape())
                    + " is not supported; only of NCHW tensors");
        }
        if (type.equals("Resize") && ctx.opset >= 11) {
            String coord = ctx.attrString(n, "coordinate_transformation_mode", "half_pixel");
            String nearest = ctx.attrString(n, "nearest_mode", "round_prefer_floor");
            boolean ok = switch (coord) {
                case "asymmetric" -> nearest.equals("floor");
                case "half_pixel", "pytorch_half_pixel" -> nearest.startsWith("round_prefer_");
                case "tf_half_pixel_for_nn" -> nearest.equals("floor");
                default -> false;
            };
            if (!ok) {
                throw ctx.unsupported(ctx.at(n) + ": Resize with coordinate_transformation_mode '" + coord
                        + "' and nearest_mode '" + nearest + "' is not supported; only the plain repetition of"
                        + " nearest upsampling by integer scales (e.g. asymmetric / floor, as PyTorch writes it)");
            }
        }
        float[] scales = null;
        if (type.equals("Upsample") && ctx.opset < 9) {
            if (ctx.attr(n, "scales") == null) {
                throw ctx.fail(ctx.at(n) + ": Upsample needs the attribute 'scales'");
            }
            scales = ctx.attr(n, "scales").floats();
        } else {
            int sk = type.equals("Resize") && ctx.opset >= 11 ? 2 : 1;
            if (ctx.hasInput(n, sk)) {
                Const c = ctx.constInput(n, sk, "scales");
                float[] f = c.tensor().toFloatArray();
                scales = f.length == 0 ? null : f;
            }
            if (scales == null && type.equals("Resize") && ctx.opset >= 11 && ctx.hasInput(n, 3)) {
                ShapeVec sizes = ctx.shapeOf(n, 3);
                if (sizes == null || sizes.scalar() || sizes.length() != 4) {
                    throw ctx.unsupported(ctx.at(n) + ": Resize sizes '" + n.inputs().get(3)
                            + "' must be 4 integers [N, C, H, W]");
                }
                int[] s = x.shape();
                long h = sizes.vals()[2];
                long w = sizes.vals()[3];
                boolean batchOk = sizes.batch()[0] || sizes.vals()[0] == s[0];
                if (!batchOk || sizes.batch()[1] || sizes.vals()[1] != s[1] || sizes.batch()[2] || sizes.batch()[3]
                        || h < s[2] || w < s[3] || h % s[2] != 0 || w % s[3] != 0) {
                    throw ctx.unsupported(ctx.at(n) + ": Resize of " + ImportContext.shapeText(s) + " to sizes "
                            + sizes.format() + " is not supported; only integer multiples of H and W");
                }
                scales = new float[]{1, 1, h / s[2], w / s[3]};
            }
        }
        if (scales == null) {
            throw ctx.fail(ctx.at(n) + ": " + type + " has neither scales nor sizes");
        }
        if (scales.length != 4 || scales[0] != 1f || scales[1] != 1f) {
            throw ctx.unsupported(ctx.at(n) + ": " + type + " scales " + Arrays.toString(scales)
                    + " are not supported; only [1, 1, s_h, s_w] (H and W)");
        }
        int sh = Math.round(scales[2]);
        int sw = Math.round(scales[3]);
        if (sh != scales[2] || sw != scales[3] || sh < 1 || sw < 1) {
            throw ctx.unsupported(ctx.at(n) + ": " + type + " scales " + Arrays.toString(scales)
                    + " are not supported; only positive integer factors of H and W");
        }
        ctx.emit(n, new Op.Resize(sh, sw), x);
    }
}
