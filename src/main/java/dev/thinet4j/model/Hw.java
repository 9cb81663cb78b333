package dev.thinet4j.model;

/** A (height, width) pair: kernel size, strides or dilations. */
public record Hw(int h, int w) {
    public Hw {
        if (h < 0 || w < 0) {
            throw new IllegalArgumentException("negative size (" + h + ", " + w + ")");
        }
    }

    public static Hw of(int both) {
        return new Hw(both, both);
    }

    @Override
    public String toString() {
        return h + "x" + w;
    }
}
