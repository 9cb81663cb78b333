package dev.thinet4j.onnx;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.Value.Act;
import dev.thinet4j.onnx.Value.Const;
import dev.thinet4j.onnx.Value.Unavailable;
import dev.thinet4j.onnx.proto.OnnxNode;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reductions and normalisation: ReduceMean, LayerNormalization (opset 17), and the decomposed
 * layer normalisation PyTorch writes before opset 17.
 *
 * <p>The decomposed form, recognised at its Div:
 * <pre>
 *   m = ReduceMean(x, axes=[a]);  d = Sub(x, m)
 *   v = ReduceMean(Pow(d, 2), axes=[a]);  y = Div(d, Sqrt(Add(v, ε)))
 * </pre>
 * becomes one {@link Op.LayerNorm} (scale 1, no bias) when every intermediate tensor is used only
 * inside the pattern; a following {@code Mul} by a per-feature constant and {@code Add} of one are
 * then folded into its scale and bias. Incomplete patterns stay separate ops.
 */
final class NormMappers {
    private NormMappers() {
    }

    static void register(Map<String, OpMapper> r) {
        r.put("ReduceMean", NormMappers::reduceMean);
        r.put("LayerNormalization", NormMappers::layerNorm);
    }

    static void reduceMean(ImportContext ctx, OnnxNode n) {
        Value v = ctx.value(n, 0);
        if (!(v instanceof Act x)) {
            throw ctx.unsupported(ctx.at(n) + ": ReduceMean of '" + n.inputs().get(0)
                    + "' is supported only on activations");
        }
        int[] axes = reduceAxes(ctx, n, x.rank());
        boolean keep = ctx.attrInt(n, "keepdims", 1) != 0;
        ctx.emit(n, new Op.ReduceMean(axes, keep), x);
    }

    /** The normalised, sorted axes of a ReduceMean; refuses the batch axis. */
    private static int[] reduceAxes(ImportContext ctx, OnnxNode n, int rank) {
        long[] axes = ctx.axesOf(n);
        if (axes == null || axes.length == 0) {
            throw ctx.unsupported(ctx.at(n) + ": ReduceMean over all axes (no 'axes') would average over the batch,"
                    + " which is not supported");
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (long a : axes) {
            long ax = a < 0 ? a + rank : a;
            if (ax < 0 || ax >= rank) {
                throw ctx.fail(ctx.at(n) + ": axis " + a + " is out of range for rank " + rank);
            }
            if (ax == 0) {
                throw ctx.unsupported(ctx.at(n) + ": ReduceMean over the batch axis (axes "
                        + Arrays.toString(axes) + ") is not supported");
            }
            set.add((int) ax);
        }
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    static void layerNorm(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        int rank = x.rank();
        long axis = ctx.attrInt(n, "axis", -1);
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 1 || ax >= rank) {
            throw ctx.unsupported(ctx.at(n) + ": LayerNormalization axis " + axis + " of a rank-" + rank
                    + " input is not supported (it must not include the batch axis)");
        }
        for (int k = (int) ax + 1; k < rank; k++) {
            if (x.shape()[k] != 1) {
                throw ctx.unsupported(ctx.at(n) + ": LayerNormalization from axis " + axis + " of "
                        + ImportContext.shapeText(x.shape()) + " normalises several axes; only one is supported");
            }
        }
        int d = x.shape()[(int) ax];
        Tensor scale = ctx.weight(n, 1, "scale");
        Tensor bias = ctx.optionalWeight(n, 2, "bias");
        if (scale.size() != d || (bias != null && bias.size() != d)) {
            throw ctx.fail(ctx.at(n) + ": scale " + Arrays.toString(scale.shape()) + " / bias "
                    + (bias == null ? "none" : Arrays.toString(bias.shape())) + " do not fit " + d + " features");
        }
        float eps = ctx.attrFloat(n, "epsilon", 1e-5f);
        for (int k = 1; k < n.outputs().size(); k++) {
            if (!n.outputs().get(k).isEmpty()) {
                ctx.put(n.outputs().get(k), new Unavailable("the mean / inverse deviation output of "
                        + "LayerNormalization " + ctx.at(n) + ", which thinet4j does not support"));
            }
        }
        ctx.emit(n, new Op.LayerNorm((int) ax, scale.reshape(d), bias == null ? null : bias.reshape(d), eps), x);
    }

    // ------------------------------------------------------------------ decomposed LayerNorm

    /**
     * Recognises the decomposed layer normalisation ending in Div node {@code div}; emits one
     * LayerNorm for it.
     *
     * @return whether it did
     */
    static boolean decomposedLayerNorm(ImportContext ctx, OnnxNode div) {
        String d = div.inputs().get(0);
        String s = div.inputs().get(1);
        OnnxNode sub = producer(ctx, d, "Sub");
        OnnxNode sqrt = producer(ctx, s, "Sqrt");
        if (sub == null || sqrt == null || !ctx.soleUse(s) || ctx.consumerCount.getOrDefault(d, 0) != 2
                || ctx.graphOutputs.contains(d) || sub.inputs().size() != 2) {
            return false;
        }
        String x = sub.inputs().get(0);
        String m = sub.inputs().get(1);
        OnnxNode mean = producer(ctx, m, "ReduceMean");
        if (mean == null || !ctx.soleUse(m) || mean.inputs().isEmpty() || !mean.inputs().get(0).equals(x)) {
            return false;
        }
        OnnxNode addEps = producer(ctx, sqrt.inputs().get(0), "Add");
        if (addEps == null || !ctx.soleUse(sqrt.inputs().get(0)) || addEps.inputs().size() != 2) {
            return false;
        }
        int vk = ctx.values.get(addEps.inputs().get(0)) instanceof Const ? 1 : 0;
        String v = addEps.inputs().get(vk);
        Float eps = scalarConst(ctx, addEps.inputs().get(1 - vk));
        OnnxNode var = producer(ctx, v, "ReduceMean");
        if (eps == null || var == null || !ctx.soleUse(v) || var.inputs().isEmpty()) {
            return false;
        }
        String p = var.inputs().get(0);
        OnnxNode pow = producer(ctx, p, "Pow");
        if (pow == null || !ctx.soleUse(p) || pow.inputs().size() != 2 || !pow.inputs().get(0).equals(d)) {
            return false;
        }
        Float two = scalarConst(ctx, pow.inputs().get(1));
        if (two == null || two != 2f || !(ctx.values.get(x) instanceof Act in)) {
            return false;
        }
        int axis = singleAxis(ctx, mean, in.rank());
        if (axis < 1 || axis != singleAxis(ctx, var, in.rank())) {
            return false;
        }
        int features = in.shape()[axis];
        ctx.emit(div, new Op.LayerNorm(axis, Tensor.filled(1f, features), null, eps), in);
        return true;
    }

    private static OnnxNode producer(ImportContext ctx, String tensor, String type) {
        OnnxNode p = ctx.producer(tensor);
        return p != null && p.opType().equals(type) && p.domain().isEmpty() ? p : null;
    }

    private static Float scalarConst(ImportContext ctx, String tensor) {
        Const c = ImportContext.asConst(ctx.values.get(tensor), tensor);
        if (c == null) {
            return null;
        }
        float[] f = c.tensor().toFloatArray();
        return f.length == 1 && Float.isFinite(f[0]) ? f[0] : null;
    }

    /** The one reduced axis of a keepdims ReduceMean, or -1. */
    private static int singleAxis(ImportContext ctx, OnnxNode mean, int rank) {
        if (ctx.attrInt(mean, "keepdims", 1) == 0) {
            return -1;
        }
        long[] axes;
        try {
            axes = ctx.axesOf(mean);
        } catch (OnnxImportException e) {
            return -1;
        }
        if (axes == null || axes.length != 1) {
            return -1;
        }
        long a = axes[0] < 0 ? axes[0] + rank : axes[0];
        return a >= 1 && a < rank ? (int) a : -1;
    }

    /**
     * Folds {@code Mul(y, w)} or {@code Add(y, b)} (constant either side) into the LayerNorm
     * writing y when that has no bias yet and the constant holds one value per feature.
     *
     * @return whether it did
     */
    static boolean foldIntoLayerNorm(ImportContext ctx, OnnxNode n, Arith ar, Value va, Value vb) {
        int yk = va instanceof Act ? 0 : vb instanceof Act ? 1 : -1;
        if (yk < 0 || (yk == 0 ? vb : va) instanceof Act) {
            return false;
        }
        Act y = (Act) (yk == 0 ? va : vb);
        Node node = ctx.emittedNode(y);
        if (node == null || !(node.op() instanceof Op.LayerNorm ln) || ln.bias() != null
                || !ctx.soleUse(n.inputs().get(yk))) {
            return false;
        }
        Const c = ImportContext.asConst(yk == 0 ? vb : va, n.inputs().get(1 - yk));
        if (c == null || c.isInteger()) {
            return false;
        }
        long[] dims = c.dims();
        int rank = y.rank();
        if (dims.length > rank) {
            return false;
        }
        for (int i = 0; i < dims.length; i++) {
            int axis = rank - dims.length + i;
            if (dims[i] != 1 && (axis != ln.axis() || dims[i] != ln.features())) {
                return false;
            }
        }
        Tensor t = ctx.constTensor(n, c, ar == Arith.MUL ? "LayerNorm weight" : "LayerNorm bias");
        float[] vals = t.data();
        if (vals.length != ln.features() && vals.length != 1) {
            return false;
        }
        float[] per = new float[ln.features()];
        for (int k = 0; k < per.length; k++) {
            per[k] = vals.length == 1 ? vals[0] : vals[k];
        }
        Op.LayerNorm fused;
        if (ar == Arith.MUL) {
            float[] s = ln.scale().data();
            for (int k = 0; k < per.length; k++) {
                per[k] *= s[k];
            }
            fused = ln.withParams(Tensor.of(per, per.length), null);
        } else {
            fused = ln.withParams(ln.scale(), Tensor.of(per, per.length));
        }
        ctx.emit(n, fused, new Act(node.inputs().get(0), y.shape()));
        return true;
    }
}
