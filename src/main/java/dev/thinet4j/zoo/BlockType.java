package dev.thinet4j.zoo;

/** The residual block of a ResNet. */
public enum BlockType {
    /** Two 3×3 convolutions (ResNet-18/34); output width = block width. */
    BASIC(1),
    /**
     * 1×1 reduce → 3×3 → 1×1 expand (ResNet-50/101/152), stride on the 3×3 conv (torchvision
     * "v1.5"); output width = 4 × block width.
     */
    BOTTLENECK(4);

    private final int expansion;

    BlockType(int expansion) {
        this.expansion = expansion;
    }

    /** Output width of a block divided by its nominal width. */
    public int expansion() {
        return expansion;
    }
}
