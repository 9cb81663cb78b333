package dev.thinet4j.onnx;

import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxTensor;

/**
 * What flows along one ONNX tensor while a graph is imported: an activation of the network, a
 * constant, a symbolic shape vector, a pending fusion, or something thinet4j cannot provide.
 */
sealed interface Value permits Value.Act, Value.Const, Value.ShapeVec, Value.PendingLinear, Value.PendingPad,
        Value.Unavailable {

    /**
     * An activation: a tensor of the network, computed from the input.
     *
     * @param name  the name of the emitted node writing it (or the network input)
     * @param shape its shape with batch 1
     */
    record Act(String name, int[] shape) implements Value {
        int rank() {
            return shape.length;
        }
    }

    /** A constant tensor (initializer, Constant node or folded). */
    record Const(String name, OnnxTensor tensor, boolean initializer) implements Value {
        long[] dims() {
            return tensor.dims();
        }

        boolean isInteger() {
            int t = tensor.dataType();
            return t == OnnxTensor.INT64 || t == OnnxTensor.INT32 || t == OnnxTensor.INT16 || t == OnnxTensor.INT8
                    || t == OnnxTensor.UINT8 || t == OnnxTensor.UINT16 || t == OnnxTensor.BOOL;
        }
    }

    /**
     * A small integer vector (or scalar) computed from tensor shapes: entries flagged
     * {@code batch} stand for the free batch size.
     */
    record ShapeVec(long[] vals, boolean[] batch, boolean scalar) implements Value {
        int length() {
            return vals.length;
        }

        boolean anyBatch() {
            for (boolean b : batch) {
                if (b) {
                    return true;
                }
            }
            return false;
        }

        String format() {
            StringBuilder sb = new StringBuilder(scalar ? "" : "[");
            for (int k = 0; k < vals.length; k++) {
                if (k > 0) {
                    sb.append(", ");
                }
                sb.append(batch[k] ? "batch" : Long.toString(vals[k]));
            }
            return sb.append(scalar ? "" : "]").toString();
        }
    }

    /** A MatMul by a constant, emitted as Linear once we know whether a bias Add follows. */
    final class PendingLinear implements Value {
        final OnnxNode node;
        final Act input;
        final Tensor weight;
        Act materialised;

        PendingLinear(OnnxNode node, Act input, Tensor weight) {
            this.node = node;
            this.input = input;
            this.weight = weight;
        }
    }

    /** A constant-zero Pad of an activation, folded into the Conv or AveragePool that reads it. */
    record PendingPad(Act input, Padding pads, OnnxNode node) implements Value {
    }

    /** A tensor thinet4j cannot provide (e.g. MaxPool indices); reading it is an error. */
    record Unavailable(String why) implements Value {
    }
}
