package dev.thinet4j.onnx;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.Value.Act;
import dev.thinet4j.onnx.Value.Const;
import dev.thinet4j.onnx.Value.PendingLinear;
import dev.thinet4j.onnx.Value.ShapeVec;
import dev.thinet4j.onnx.proto.OnnxNode;

import java.util.Arrays;
import java.util.Map;

/**
 * Add, Sub, Mul, Div, Pow and Sum.
 *
 * <ul>
 *   <li>activation ∘ activation: {@link Op.Add} for an Add of equal shapes (residuals), otherwise
 *       {@link Op.Binary} with broadcasting (squeeze-excitation gates, SiLU's {@code x · σ(x)});</li>
 *   <li>activation ∘ constant, either side: {@link Op.ConstArith}, except a constant bias Add
 *       right after a MatMul (→ {@link Op.Linear}) and the weight Mul / bias Add right after a
 *       {@link Op.LayerNorm} without them (folded into it);</li>
 *   <li>constant ∘ constant: folded; shape values: evaluated symbolically
 *       ({@link ShapeFolding#shapeArith});</li>
 *   <li>the Div that ends a decomposed layer normalisation becomes one {@link Op.LayerNorm}
 *       ({@link NormMappers#decomposedLayerNorm}).</li>
 * </ul>
 */
final class ArithmeticMappers {
    private ArithmeticMappers() {
    }

    static void register(Map<String, OpMapper> r) {
        for (Arith a : Arith.values()) {
            r.put(a.onnxType(), (c, n) -> arith(c, n, a));
        }
        r.put("Sum", ArithmeticMappers::sum);
    }

    static void arith(ImportContext ctx, OnnxNode n, Arith ar) {
        if (n.inputs().size() != 2) {
            throw ctx.fail(ctx.at(n) + " needs 2 inputs, has " + n.inputs().size());
        }
        if (ar == Arith.ADD && linearBias(ctx, n)) {
            return;
        }
        if (ar == Arith.DIV && NormMappers.decomposedLayerNorm(ctx, n)) {
            return;
        }
        Value va = ctx.value(n, 0);
        Value vb = ctx.value(n, 1);
        if ((ar == Arith.MUL || ar == Arith.ADD) && NormMappers.foldIntoLayerNorm(ctx, n, ar, va, vb)) {
            return;
        }
        if (va instanceof Act x && vb instanceof Act y) {
            if (x.rank() != y.rank()) {
                throw ctx.unsupported(ctx.at(n) + ": " + ar.onnxType() + " of activations of different ranks ("
                        + ImportContext.shapeText(x.shape()) + " and " + ImportContext.shapeText(y.shape())
                        + ") would broadcast across the batch axis, which is not supported");
            }
            if (ar == Arith.ADD && Arrays.equals(x.shape(), y.shape())) {
                ctx.emit(n, new Op.Add(), x, y);
            } else {
                ctx.emit(n, new Op.Binary(ar), x, y);
            }
            return;
        }
        if (va instanceof Act || vb instanceof Act) {
            boolean constantFirst = vb instanceof Act;
            Act x = (Act) (constantFirst ? vb : va);
            int ck = constantFirst ? 0 : 1;
            Const c = ImportContext.asConst(constantFirst ? va : vb, n.inputs().get(ck));
            if (c == null) {
                throw ctx.unsupported(ctx.at(n) + ": " + ar.onnxType() + " of the activation '"
                        + n.inputs().get(1 - ck) + "' and the batch-dependent shape value '" + n.inputs().get(ck)
                        + "' is not supported");
            }
            Tensor t = ctx.constTensor(n, c, "constant operand");
            ctx.emit(n, new Op.ConstArith(ar, t, constantFirst), x);
            return;
        }
        boolean batch = va instanceof ShapeVec s && s.anyBatch() || vb instanceof ShapeVec s2 && s2.anyBatch();
        if (batch) {
            ShapeVec a = ctx.shapeOf(n, 0);
            ShapeVec b = ctx.shapeOf(n, 1);
            if (a == null || b == null) {
                throw ctx.unsupported(ctx.at(n) + ": " + ar.onnxType() + " of a shape value and the float '"
                        + n.inputs().get(a == null ? 0 : 1) + "' is not supported");
            }
            ShapeFolding.shapeArith(ctx, n, ar, a, b);
            return;
        }
        Const a = ImportContext.asConst(va, n.inputs().get(0));
        Const b = ImportContext.asConst(vb, n.inputs().get(1));
        if (a == null || b == null) {
            throw ctx.unsupported(ctx.at(n) + ": " + ar.onnxType() + " of '" + n.inputs().get(0) + "' and '"
                    + n.inputs().get(1) + "' is not supported");
        }
        boolean shapes = va instanceof ShapeVec || vb instanceof ShapeVec;
        if (shapes && a.isInteger() && b.isInteger() && a.dims().length <= 1 && b.dims().length <= 1) {
            ShapeFolding.shapeArith(ctx, n, ar, ctx.shapeOf(n, 0), ctx.shapeOf(n, 1));
            return;
        }
        ShapeFolding.constArith(ctx, n, ar, a, b);
    }

    /** MatMul by a constant, then Add of a constant bias: one Linear named after the MatMul. */
    private static boolean linearBias(ImportContext ctx, OnnxNode n) {
        Value a = ctx.rawValue(n, 0);
        Value b = ctx.rawValue(n, 1);
        PendingLinear pl = a instanceof PendingLinear p ? p : b instanceof PendingLinear p ? p : null;
        Value other = pl == a ? b : a;
        if (pl != null && pl.materialised == null && other instanceof Const c && ctx.soleUse(ctx.output(pl.node))) {
            Tensor bias = biasVector(ctx.constTensor(n, c, "bias"), pl.weight.dim(0));
            if (bias == null) {
                return false;
            }
            pl.materialised = ctx.emit(pl.node, ctx.output(n), new Op.Linear(pl.weight, bias), pl.input);
            return true;
        }
        return false;
    }

    /** The bias as [out], or null when it is not one value per output feature. */
    private static Tensor biasVector(Tensor c, int out) {
        int[] s = c.shape();
        boolean vectorLike = true;
        for (int k = 0; k < s.length - 1; k++) {
            vectorLike &= s[k] == 1;
        }
        if (c.size() == out && vectorLike) {
            return c.reshape(out);
        }
        if (c.size() == 1) {
            return Tensor.filled(c.get(0), out);
        }
        return null;
    }

    static void sum(ImportContext ctx, OnnxNode n) {
        Act[] ins = new Act[n.inputs().size()];
        for (int k = 0; k < ins.length; k++) {
            ins[k] = ctx.act(n, k);
        }
        ctx.emit(n, new Op.Add(), ins);
    }
}
