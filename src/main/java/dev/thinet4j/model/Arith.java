package dev.thinet4j.model;

/**
 * The element-wise arithmetic of ONNX {@code Add}, {@code Sub}, {@code Mul}, {@code Div} and
 * {@code Pow}, used by {@link Op.Binary} (two activations) and {@link Op.ConstArith} (an activation
 * and a constant).
 */
public enum Arith {
    /** a + b. */
    ADD("Add", "add"),
    /** a − b. */
    SUB("Sub", "subtract"),
    /** a · b. */
    MUL("Mul", "multiply"),
    /** a / b (IEEE float division). */
    DIV("Div", "divide"),
    /** a<sup>b</sup> (float {@code Math.pow}). */
    POW("Pow", "Pow");

    private final String onnxType;
    private final String nd4jOpName;

    Arith(String onnxType, String nd4jOpName) {
        this.onnxType = onnxType;
        this.nd4jOpName = nd4jOpName;
    }

    /** @return the ONNX operator type */
    public String onnxType() {
        return onnxType;
    }

    /**
     * @return the name of libnd4j's broadcastable pairwise custom op for the arithmetic ({@code add},
     *         {@code subtract}, {@code multiply}, {@code divide}, {@code Pow}), as run by the engine and the trainer
     */
    public String nd4jOpName() {
        return nd4jOpName;
    }

    /** @return the ONNX operator type's arithmetic, or null when {@code type} is none of them */
    public static Arith ofOnnx(String type) {
        for (Arith a : values()) {
            if (a.onnxType.equals(type)) {
                return a;
            }
        }
        return null;
    }

    /**
     * Applies the operation in float32, as an ONNX runtime computes it on float tensors (POW through
     * {@code Math.pow}, rounded once): used to fold constant sub-graphs at import.
     *
     * @param a left operand
     * @param b right operand
     * @return a ∘ b
     */
    public float apply(float a, float b) {
        return (float) apply((double) a, (double) b);
    }

    /**
     * Applies the operation in float64.
     *
     * @param a left operand
     * @param b right operand
     * @return a ∘ b
     */
    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
        };
    }
}
