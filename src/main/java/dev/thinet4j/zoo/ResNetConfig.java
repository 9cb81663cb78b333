package dev.thinet4j.zoo;

import java.util.List;
import java.util.Objects;

/**
 * The architecture of a ResNet (He et al., 2016, torchvision layout): a {@link ResNetStem}, stages
 * of residual blocks, global average pooling and a linear classifier.
 *
 * <p>Stage s has {@code blocksPerStage.get(s)} blocks of nominal width {@code widths.get(s)}; its
 * first block has stride {@code strides.get(s)} and a projection shortcut (1×1 conv + BN) when the
 * stride is not 1 or the channel count changes. Block output width = width × {@link BlockType#expansion()}.
 *
 * @param name           network name
 * @param block          residual block type
 * @param blocksPerStage blocks per stage, each at least 1
 * @param widths         nominal width per stage
 * @param strides        stride of the first block of each stage
 * @param stem           the stem
 * @param stemWidth      output channels of the stem convolution
 * @param classes        number of output logits
 * @param inputChannels  image channels
 * @param inputHeight    image height
 * @param inputWidth     image width
 */
public record ResNetConfig(String name, BlockType block, List<Integer> blocksPerStage, List<Integer> widths,
                           List<Integer> strides, ResNetStem stem, int stemWidth, int classes,
                           int inputChannels, int inputHeight, int inputWidth) {

    public ResNetConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(block, "block");
        Objects.requireNonNull(stem, "stem");
        blocksPerStage = List.copyOf(blocksPerStage);
        widths = List.copyOf(widths);
        strides = List.copyOf(strides);
        if (blocksPerStage.isEmpty() || widths.size() != blocksPerStage.size() || strides.size() != blocksPerStage.size()) {
            throw new IllegalArgumentException("ResNet needs one or more stages with one entry each in blocksPerStage "
                    + blocksPerStage + ", widths " + widths + " and strides " + strides);
        }
        for (int s = 0; s < blocksPerStage.size(); s++) {
            if (blocksPerStage.get(s) < 1 || widths.get(s) < 1 || strides.get(s) < 1) {
                throw new IllegalArgumentException("stage " + (s + 1) + " needs positive blocks, width and stride, got "
                        + blocksPerStage.get(s) + ", " + widths.get(s) + ", " + strides.get(s));
            }
        }
        if (stemWidth < 1 || classes < 1 || inputChannels < 1 || inputHeight < 1 || inputWidth < 1) {
            throw new IllegalArgumentException("stem width, classes and input size must be positive, got stemWidth="
                    + stemWidth + " classes=" + classes + " input=" + inputChannels + "x" + inputHeight + "x" + inputWidth);
        }
    }

    /** ResNet-18: basic blocks [2, 2, 2, 2], widths 64/128/256/512, ImageNet stem, 1000 classes, 3×224×224. */
    public static ResNetConfig resnet18() {
        return builder().build();
    }

    /** ResNet-34: basic blocks [3, 4, 6, 3]. */
    public static ResNetConfig resnet34() {
        return builder().name("resnet34").blocksPerStage(List.of(3, 4, 6, 3)).build();
    }

    /** ResNet-50: bottleneck blocks [3, 4, 6, 3], outputs 256/512/1024/2048. */
    public static ResNetConfig resnet50() {
        return builder().name("resnet50").block(BlockType.BOTTLENECK).blocksPerStage(List.of(3, 4, 6, 3)).build();
    }

    /** ResNet-101: bottleneck blocks [3, 4, 23, 3]. */
    public static ResNetConfig resnet101() {
        return builder().name("resnet101").block(BlockType.BOTTLENECK).blocksPerStage(List.of(3, 4, 23, 3)).build();
    }

    /**
     * A small basic-block ResNet for 1×28×28 images and 10 classes: 3×3 stem of 16 channels, three
     * stages of 2 blocks, widths 16/32/64, strides 1/2/2 (28 → 28 → 14 → 7), GAP, Linear(64 → 10).
     */
    public static ResNetConfig small28Basic() {
        return smallBuilder().name("resnet_small28_basic").build();
    }

    /**
     * The bottleneck counterpart of {@link #small28Basic()}: same stem, stages and strides, block
     * widths 16/32/64 expanded 4× to outputs 64/128/256, GAP, Linear(256 → 10).
     */
    public static ResNetConfig small28Bottleneck() {
        return smallBuilder().name("resnet_small28_bottleneck").block(BlockType.BOTTLENECK).build();
    }

    private static Builder smallBuilder() {
        return builder().stem(ResNetStem.SMALL).stemWidth(16)
                .blocksPerStage(List.of(2, 2, 2)).widths(List.of(16, 32, 64)).strides(List.of(1, 2, 2))
                .classes(10).inputChannels(1).inputSize(28);
    }

    /** Output channels of the blocks of stage {@code stage} (0-based). */
    public int stageOutChannels(int stage) {
        return widths.get(stage) * block.expansion();
    }

    /** A builder with ResNet-18's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder().name(name).block(block).blocksPerStage(blocksPerStage).widths(widths).strides(strides)
                .stem(stem).stemWidth(stemWidth).classes(classes).inputChannels(inputChannels)
                .inputSize(inputHeight, inputWidth);
    }

    /** Builder for {@link ResNetConfig}; starts as {@link #resnet18()}. */
    public static final class Builder {
        private String name = "resnet18";
        private BlockType block = BlockType.BASIC;
        private List<Integer> blocksPerStage = List.of(2, 2, 2, 2);
        private List<Integer> widths = List.of(64, 128, 256, 512);
        private List<Integer> strides = List.of(1, 2, 2, 2);
        private ResNetStem stem = ResNetStem.IMAGENET;
        private int stemWidth = 64;
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

        public Builder block(BlockType value) {
            this.block = value;
            return this;
        }

        public Builder blocksPerStage(List<Integer> value) {
            this.blocksPerStage = value;
            return this;
        }

        public Builder widths(List<Integer> value) {
            this.widths = value;
            return this;
        }

        public Builder strides(List<Integer> value) {
            this.strides = value;
            return this;
        }

        public Builder stem(ResNetStem value) {
            this.stem = value;
            return this;
        }

        public Builder stemWidth(int value) {
            this.stemWidth = value;
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

        public ResNetConfig build() {
            return new ResNetConfig(name, block, blocksPerStage, widths, strides, stem, stemWidth, classes,
                    inputChannels, inputHeight, inputWidth);
        }
    }
}
