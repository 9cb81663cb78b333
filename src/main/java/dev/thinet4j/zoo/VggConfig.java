package dev.thinet4j.zoo;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The architecture of a VGG-style network: blocks of 3×3 convolutions (padding 1, stride 1), each
 * block followed by a 2×2 max pool of stride 2, then a {@link VggHead}.
 *
 * <p>{@code blocks.get(b).get(i)} is the nominal width of conv{b+1}_{i+1}; the built width is
 * {@link #convWidth(int, int)}, the nominal width times {@link #widthMultiplier()}. VGG-16's
 * configuration [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M] is
 * {@code [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]} here.
 *
 * @param name            network name
 * @param blocks          conv widths per block, each block non-empty
 * @param batchNorm       conv → BN → ReLU instead of conv → ReLU (the conv keeps its bias, as in torchvision)
 * @param head            the classifier
 * @param hiddenFeatures  widths of the hidden fully connected layers of the {@link VggHead#FC} head
 *                        (ignored by {@link VggHead#GAP})
 * @param widthMultiplier scales every conv width (rounded, at least 1); not the hidden FC widths
 * @param classes         number of output logits
 * @param inputChannels   image channels
 * @param inputHeight     image height
 * @param inputWidth      image width
 */
public record VggConfig(String name, List<List<Integer>> blocks, boolean batchNorm, VggHead head,
                        List<Integer> hiddenFeatures, double widthMultiplier, int classes,
                        int inputChannels, int inputHeight, int inputWidth) {

    private static final List<List<Integer>> VGG16_BLOCKS = List.of(
            List.of(64, 64), List.of(128, 128), List.of(256, 256, 256), List.of(512, 512, 512), List.of(512, 512, 512));

    public VggConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(head, "head");
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("VGG config needs at least one block");
        }
        List<List<Integer>> copy = new ArrayList<>();
        for (List<Integer> block : blocks) {
            if (block.isEmpty()) {
                throw new IllegalArgumentException("VGG block " + (copy.size() + 1) + " has no convolutions: " + blocks);
            }
            for (Integer w : block) {
                if (w == null || w < 1) {
                    throw new IllegalArgumentException("VGG conv widths must be positive: " + blocks);
                }
            }
            copy.add(List.copyOf(block));
        }
        blocks = List.copyOf(copy);
        hiddenFeatures = List.copyOf(hiddenFeatures);
        for (Integer f : hiddenFeatures) {
            if (f == null || f < 1) {
                throw new IllegalArgumentException("hidden FC widths must be positive: " + hiddenFeatures);
            }
        }
        if (!(widthMultiplier > 0) || !Double.isFinite(widthMultiplier)) {
            throw new IllegalArgumentException("width multiplier must be positive, got " + widthMultiplier);
        }
        if (classes < 1 || inputChannels < 1 || inputHeight < 1 || inputWidth < 1) {
            throw new IllegalArgumentException("classes and input size must be positive, got classes=" + classes
                    + " input=" + inputChannels + "x" + inputHeight + "x" + inputWidth);
        }
        int h = inputHeight;
        int w = inputWidth;
        for (int b = 0; b < blocks.size(); b++) {
            h /= 2;
            w /= 2;
            if (h < 1 || w < 1) {
                throw new IllegalArgumentException("input " + inputHeight + "x" + inputWidth + " is too small for "
                        + blocks.size() + " 2x2 max pools (empty after pool" + (b + 1) + ")");
            }
        }
    }

    /** VGG-16 (configuration D): FC head 4096-4096, 1000 classes, 3×224×224, no BN. */
    public static VggConfig vgg16() {
        return builder().build();
    }

    /** VGG-16 with batch normalisation after every convolution (torchvision {@code vgg16_bn}). */
    public static VggConfig vgg16Bn() {
        return builder().name("vgg16_bn").batchNorm(true).build();
    }

    /**
     * A small VGG for 1×28×28 images and 10 classes: blocks [[16, 16], [32, 32], [64, 64]]
     * (28 → 14 → 7 → 3), FC head 576 → 128 → 10, no BN.
     */
    public static VggConfig small28() {
        return builder().name("vgg_small28")
                .blocks(List.of(List.of(16, 16), List.of(32, 32), List.of(64, 64)))
                .hiddenFeatures(List.of(128))
                .classes(10).inputChannels(1).inputSize(28)
                .build();
    }

    /** The built width of conv{block+1}_{index+1}: nominal width × multiplier, rounded, at least 1. */
    public int convWidth(int block, int index) {
        return Math.max(1, (int) Math.round(blocks.get(block).get(index) * widthMultiplier));
    }

    /** Spatial size after the last max pool: [height, width]. */
    public int[] finalSpatialSize() {
        int h = inputHeight;
        int w = inputWidth;
        for (int b = 0; b < blocks.size(); b++) {
            h /= 2;
            w /= 2;
        }
        return new int[]{h, w};
    }

    /** A builder with VGG-16's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder().name(name).blocks(blocks).batchNorm(batchNorm).head(head)
                .hiddenFeatures(hiddenFeatures).widthMultiplier(widthMultiplier).classes(classes)
                .inputChannels(inputChannels).inputSize(inputHeight, inputWidth);
    }

    /** Builder for {@link VggConfig}; starts as {@link #vgg16()}. */
    public static final class Builder {
        private String name = "vgg16";
        private List<List<Integer>> blocks = VGG16_BLOCKS;
        private boolean batchNorm;
        private VggHead head = VggHead.FC;
        private List<Integer> hiddenFeatures = List.of(4096, 4096);
        private double widthMultiplier = 1.0;
        private int classes = 1000;
        private int inputChannels = 3;
        private int inputHeight = 224;
        private int inputWidth = 224;

        private Builder() {
        }

        public Builder name(String value) {
            this.name = value;
            return this;
        }

        /** Conv widths per block; every block ends in a 2×2/2 max pool. */
        public Builder blocks(List<List<Integer>> value) {
            this.blocks = value;
            return this;
        }

        public Builder batchNorm(boolean value) {
            this.batchNorm = value;
            return this;
        }

        public Builder head(VggHead value) {
            this.head = value;
            return this;
        }

        /** Hidden FC widths of the {@link VggHead#FC} head (may be empty: flatten → classifier). */
        public Builder hiddenFeatures(List<Integer> value) {
            this.hiddenFeatures = value;
            return this;
        }

        public Builder widthMultiplier(double value) {
            this.widthMultiplier = value;
            return this;
        }

        public Builder classes(int value) {
            this.classes = value;
            return this;
        }

        public Builder inputChannels(int value) {
            this.inputChannels = value;
            return this;
        }

        /** Square input. */
        public Builder inputSize(int size) {
            return inputSize(size, size);
        }

        public Builder inputSize(int height, int width) {
            this.inputHeight = height;
            this.inputWidth = width;
            return this;
        }

        public VggConfig build() {
            return new VggConfig(name, blocks, batchNorm, head, hiddenFeatures, widthMultiplier, classes,
                    inputChannels, inputHeight, inputWidth);
        }
    }
}
