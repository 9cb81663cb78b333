package dev.thinet4j.zoo;

/** The classifier on top of a VGG network's convolutional part. */
public enum VggHead {
    /**
     * The original head: flatten → (Linear → ReLU → Dropout) for each hidden width → Linear(classes).
     * VGG-16 has hidden widths 4096, 4096.
     */
    FC,
    /** Global average pooling → flatten → Linear(last conv width → classes), as in ThiNet's VGG-GAP. */
    GAP
}
