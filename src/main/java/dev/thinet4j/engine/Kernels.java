package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;

/** Creates the kernel for a node: one dispatch over the sealed {@link Op} hierarchy. */
final class Kernels {
    private Kernels() {
    }

    static OpKernel create(Node node) {
        Op op = node.op();
        // Java 17 has no pattern switch; keep this chain in step with Op's permitted subclasses
        // (KernelsTest checks every one of them).
        if (op instanceof Op.Conv c) {
            return new ConvKernel(node, c);
        } else if (op instanceof Op.BatchNorm b) {
            return new ElementwiseKernels.BatchNorm(node, b);
        } else if (op instanceof Op.Linear l) {
            return new ShapeKernels.Linear(node, l);
        } else if (op instanceof Op.Relu) {
            return new ElementwiseKernels.Relu(node);
        } else if (op instanceof Op.LeakyRelu l) {
            return new ElementwiseKernels.LeakyRelu(node, l);
        } else if (op instanceof Op.Clip c) {
            return new ElementwiseKernels.Clip(node, c);
        } else if (op instanceof Op.Sigmoid) {
            return new ElementwiseKernels.Sigmoid(node);
        } else if (op instanceof Op.Softmax s) {
            return new ShapeKernels.Softmax(node, s);
        } else if (op instanceof Op.Identity) {
            return new ElementwiseKernels.Identity(node);
        } else if (op instanceof Op.Add) {
            return new ElementwiseKernels.Add(node);
        } else if (op instanceof Op.Concat c) {
            return new ShapeKernels.Concat(node, c);
        } else if (op instanceof Op.MaxPool m) {
            return new PoolKernels.Max(node, m);
        } else if (op instanceof Op.AvgPool a) {
            return new PoolKernels.Avg(node, a);
        } else if (op instanceof Op.GlobalAvgPool) {
            return new ShapeKernels.GlobalAvgPool(node);
        } else if (op instanceof Op.Flatten) {
            return new ShapeKernels.Flatten(node);
        } else if (op instanceof Op.Binary b) {
            return new BroadcastKernels.Binary(node, b);
        } else if (op instanceof Op.ConstArith c) {
            return new BroadcastKernels.ConstArith(node, c);
        } else if (op instanceof Op.HardSigmoid h) {
            return new ElementwiseKernels.HardSigmoid(node, h);
        } else if (op instanceof Op.HardSwish) {
            return new ElementwiseKernels.HardSwish(node);
        } else if (op instanceof Op.Erf) {
            return new ElementwiseKernels.Erf(node);
        } else if (op instanceof Op.Sqrt) {
            return new ElementwiseKernels.Sqrt(node);
        } else if (op instanceof Op.ReduceMean r) {
            return new ShapeKernels.ReduceMean(node, r);
        } else if (op instanceof Op.LayerNorm l) {
            return new ShapeKernels.LayerNorm(node, l);
        } else if (op instanceof Op.Transpose t) {
            return new LayoutKernels.Transpose(node, t);
        } else if (op instanceof Op.Reshape) {
            return new LayoutKernels.Reshape(node);
        } else if (op instanceof Op.Slice s) {
            return new LayoutKernels.Slice(node, s);
        } else if (op instanceof Op.ChannelShuffle c) {
            return new LayoutKernels.ChannelShuffle(node, c);
        } else if (op instanceof Op.ChannelGather g) {
            return new LayoutKernels.ChannelGather(node, g);
        } else if (op instanceof Op.Resize r) {
            return new LayoutKernels.Resize(node, r);
        }
        throw new UnsupportedOperationException("node '" + node.name() + "': no inference kernel for op "
                + op.onnxType() + " (" + op.getClass().getSimpleName() + ")");
    }
}
