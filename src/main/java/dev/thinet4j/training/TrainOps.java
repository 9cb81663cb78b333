package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;

/** Creates the training op of a node: one dispatch over the sealed {@link Op} hierarchy. */
final class TrainOps {
    private TrainOps() {
    }

    static TrainOp create(Node node, DataType type) {
        Op op = node.op();
        // keep in step with Op's permitted subclasses (TrainOpsTest checks every one of them)
        if (op instanceof Op.Conv c) {
            return new ConvOp(node, c, type);
        } else if (op instanceof Op.BatchNorm b) {
            return new BatchNormOp(node, b, type);
        } else if (op instanceof Op.Linear l) {
            return new LinearOp(node, l, type);
        } else if (op instanceof Op.Relu) {
            return new ElementwiseOps.Relu(node, type);
        } else if (op instanceof Op.LeakyRelu l) {
            return new ElementwiseOps.LeakyRelu(node, l, type);
        } else if (op instanceof Op.Clip c) {
            return new ElementwiseOps.Clip(node, c, type);
        } else if (op instanceof Op.Sigmoid) {
            return new ElementwiseOps.Sigmoid(node, type);
        } else if (op instanceof Op.Softmax s) {
            return new ElementwiseOps.Softmax(node, s, type);
        } else if (op instanceof Op.Identity) {
            return new ElementwiseOps.Identity(node, type);
        } else if (op instanceof Op.Add) {
            return new ElementwiseOps.Add(node, type);
        } else if (op instanceof Op.Concat c) {
            return new ShapeOps.Concat(node, c, type);
        } else if (op instanceof Op.MaxPool m) {
            return new PoolOps.Max(node, m, type);
        } else if (op instanceof Op.AvgPool a) {
            return new PoolOps.Avg(node, a, type);
        } else if (op instanceof Op.GlobalAvgPool) {
            return new PoolOps.GlobalAvg(node, type);
        } else if (op instanceof Op.Flatten) {
            return new ShapeOps.Flatten(node, type);
        } else if (op instanceof Op.Binary b) {
            return new ArithOps.Binary(node, b, type);
        } else if (op instanceof Op.ConstArith c) {
            return new ArithOps.ConstArith(node, c, type);
        } else if (op instanceof Op.HardSigmoid h) {
            return new ElementwiseOps.HardSigmoid(node, h, type);
        } else if (op instanceof Op.HardSwish) {
            return new ElementwiseOps.HardSwish(node, type);
        } else if (op instanceof Op.Erf) {
            return new ElementwiseOps.Erf(node, type);
        } else if (op instanceof Op.Sqrt) {
            return new ElementwiseOps.Sqrt(node, type);
        } else if (op instanceof Op.ReduceMean r) {
            return new PoolOps.ReduceMean(node, r, type);
        } else if (op instanceof Op.LayerNorm l) {
            return new LayerNormOp(node, l, type);
        } else if (op instanceof Op.Transpose t) {
            return new ShapeOps.Transpose(node, t, type);
        } else if (op instanceof Op.Reshape) {
            return new ShapeOps.Reshape(node, type);
        } else if (op instanceof Op.Slice s) {
            return new ShapeOps.Slice(node, s, type);
        } else if (op instanceof Op.ChannelShuffle c) {
            return new ShapeOps.ChannelShuffle(node, c, type);
        } else if (op instanceof Op.ChannelGather g) {
            return new ShapeOps.ChannelGather(node, g, type);
        } else if (op instanceof Op.Resize r) {
            return new ShapeOps.Resize(node, r, type);
        }
        throw new UnsupportedOperationException("node '" + node.name() + "': no training op for "
                + op.onnxType() + " (" + op.getClass().getSimpleName() + ")");
    }
}
