package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/** Flatten and Concat: pure data movement, the backward moves ∂y back. */
final class ShapeOps {
    private ShapeOps() {
    }

    /** c-order reshape to [N, rest] (a view of a c-contiguous input); ∂x = ∂y reshaped to the input's shape. */
    static final class Flatten extends TrainOp {
        private long[] xShape;

        Flatten(Node node, DataType type) {
            super(node, type);
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            int[] out = outShape(in);
            xShape = in.get(0).shape();
            return in.get(0).reshape('c', out[0], out[1]);
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            return new INDArray[]{need[0] ? gradOut.reshape('c', xShape) : null};
        }
    }

    /** {@code Nd4j.concat} along a non-batch axis; ∂x_i = the slice of ∂y that input i filled (copied). */
    static final class Concat extends TrainOp {
        private final int axis;
        private long[] sizes;
        private int ax;

        Concat(Node node, Op.Concat op, DataType type) {
            super(node, type);
            this.axis = op.axis();
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            int[] out = outShape(in);
            ax = axis < 0 ? axis + out.length : axis;
            sizes = new long[in.size()];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = in.get(i).size(ax);
            }
            if (in.size() == 1) {
                return in.get(0);
            }
            return Nd4j.concat(ax, in.toArray(new INDArray[0]));
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            INDArray[] g = new INDArray[sizes.length];
            if (sizes.length == 1) {
                g[0] = need[0] ? gradOut : null;
                return g;
            }
            long from = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (need[i]) {
                    g[i] = gradOut.get(Nd.slice(gradOut.rank(), ax, from, from + sizes[i])).dup('c');
                }
                from += sizes[i];
            }
            return g;
        }
    }
}
