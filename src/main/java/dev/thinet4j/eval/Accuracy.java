package dev.thinet4j.eval;

/**
 * The outcome of a top-1 evaluation.
 *
 * @param correct images whose highest-scoring class was the label
 * @param images  images evaluated
 */
public record Accuracy(long correct, long images) {
    public Accuracy {
        if (images < 0 || correct < 0 || correct > images) {
            throw new IllegalArgumentException("accuracy needs 0 <= correct <= images, got " + correct + " of "
                    + images);
        }
    }

    /** {@code correct / images}, or 0 when no image was evaluated. */
    public double fraction() {
        return images == 0 ? 0.0 : (double) correct / images;
    }
}
