package dev.thinet4j.model;

/** Spatial zero padding, possibly asymmetric (ONNX {@code pads} = [top, left, bottom, right]). */
public record Padding(int top, int left, int bottom, int right) {
    public static final Padding NONE = new Padding(0, 0, 0, 0);

    public Padding {
        if (top < 0 || left < 0 || bottom < 0 || right < 0) {
            throw new IllegalArgumentException("negative padding " + top + "," + left + "," + bottom + "," + right);
        }
    }

    public static Padding of(int all) {
        return new Padding(all, all, all, all);
    }

    public boolean isSymmetric() {
        return top == bottom && left == right;
    }

    public boolean isZero() {
        return top == 0 && left == 0 && bottom == 0 && right == 0;
    }
}
