package dev.thinet4j.onnx;

import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.Value.Act;
import dev.thinet4j.onnx.proto.OnnxNode;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Element-wise functions of one activation: Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid,
 * HardSwish, Erf, Sqrt, and Softmax. (SiLU, GELU and PyTorch's HardSwish before opset 14 arrive as
 * these plus arithmetic, see {@link ArithmeticMappers}.)
 */
final class ActivationMappers {
    private ActivationMappers() {
    }

    static void register(Map<String, OpMapper> r) {
        unary(r, "Relu", Op.Relu::new);
        unary(r, "Sigmoid", Op.Sigmoid::new);
        unary(r, "HardSwish", Op.HardSwish::new);
        unary(r, "Erf", Op.Erf::new);
        unary(r, "Sqrt", Op.Sqrt::new);
        r.put("LeakyRelu", (c, n) -> c.emit(n, new Op.LeakyRelu(c.attrFloat(n, "alpha", 0.01f)), c.act(n, 0)));
        r.put("HardSigmoid", (c, n) -> c.emit(n, new Op.HardSigmoid(c.attrFloat(n, "alpha", 0.2f),
                c.attrFloat(n, "beta", 0.5f)), c.act(n, 0)));
        r.put("Clip", ActivationMappers::clip);
        r.put("Softmax", ActivationMappers::softmax);
    }

    private static void unary(Map<String, OpMapper> r, String type, Supplier<Op> op) {
        r.put(type, (c, n) -> c.emit(n, op.get(), c.act(n, 0)));
    }

    static void clip(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        float min = Float.NEGATIVE_INFINITY;
        float max = Float.POSITIVE_INFINITY;
        if (ctx.opset < 11) {
            min = ctx.attrFloat(n, "min", min);
            max = ctx.attrFloat(n, "max", max);
        } else {
            if (ctx.hasInput(n, 1)) {
                min = ctx.scalar(n, 1, "min");
            }
            if (ctx.hasInput(n, 2)) {
                max = ctx.scalar(n, 2, "max");
            }
        }
        ctx.emit(n, new Op.Clip(min, max), x);
    }

    static void softmax(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        int rank = x.shape().length;
        long axis = ctx.attrInt(n, "axis", ctx.opset < 13 ? 1 : -1);
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank) {
            throw ctx.fail(ctx.at(n) + ": axis " + axis + " is out of range for rank " + rank);
        }
        if (ctx.opset < 13 && ax != rank - 1) {
            throw ctx.unsupported(ctx.at(n) + ": before opset 13 Softmax over axis " + axis + " of a rank-" + rank
                    + " tensor flattens the trailing axes, which is not supported; re-export with opset 13 or later");
        }
        ctx.emit(n, new Op.Softmax((int) ax), x);
    }
}
