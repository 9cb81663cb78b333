package dev.thinet4j.training;

import org.nd4j.linalg.api.buffer.DataType;

/** Floating-point type of a {@link TrainableNetwork}'s parameters and activations. */
public enum Precision {
    /** float32: the normal choice; convolutions and pools run on oneDNN's native kernels. */
    FLOAT32(DataType.FLOAT),
    /**
     * float64: for gradient checks and reference runs; libnd4j's generic (non-oneDNN) kernels, much
     * slower.
     */
    FLOAT64(DataType.DOUBLE);

    private final DataType type;

    Precision(DataType type) {
        this.type = type;
    }

    /** The ND4J data type. */
    public DataType dataType() {
        return type;
    }
}
