package dev.thinet4j.zoo;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;

/**
 * ResNets (He et al., 2016) in torchvision's layout with seeded random weights. Convolutions have
 * no bias; every one is followed by batch normalisation.
 *
 * <p>Node names follow torchvision's module names where it has one module per node:
 * <ul>
 *   <li>stem: {@code conv1}, {@code bn1}, {@code relu}, and with {@link ResNetStem#IMAGENET} {@code maxpool};</li>
 *   <li>block b (0-based) of stage s (1-based), prefix {@code layer<s>.<b>}: {@code .conv1}, {@code .bn1},
 *       {@code .relu1}, {@code .conv2}, {@code .bn2}, (bottleneck: {@code .relu2}, {@code .conv3},
 *       {@code .bn3}), the projection shortcut {@code .downsample.0} (1×1 conv) and
 *       {@code .downsample.1} (BN) where there is one, {@code .add} (main branch first, shortcut
 *       second) and {@code .relu_out};</li>
 *   <li>head: {@code avgpool} (global average pool), {@code flatten}, {@code fc}, the output.</li>
 * </ul>
 */
public final class ResNet {
    /** Name of the network input. */
    public static final String INPUT = "input";

    private ResNet() {
    }

    /** ResNet-18, default options. */
    public static Network resnet18() {
        return build(ResNetConfig.resnet18(), ZooOptions.defaults());
    }

    /** ResNet-18 with the given options. */
    public static Network resnet18(ZooOptions options) {
        return build(ResNetConfig.resnet18(), options);
    }

    /** ResNet-50, default options. */
    public static Network resnet50() {
        return build(ResNetConfig.resnet50(), ZooOptions.defaults());
    }

    /** ResNet-50 with the given options. */
    public static Network resnet50(ZooOptions options) {
        return build(ResNetConfig.resnet50(), options);
    }

    /** The small 1×28×28 basic-block ResNet ({@link ResNetConfig#small28Basic()}), default options. */
    public static Network small28Basic() {
        return build(ResNetConfig.small28Basic(), ZooOptions.defaults());
    }

    /** The small 1×28×28 basic-block ResNet with the given options. */
    public static Network small28Basic(ZooOptions options) {
        return build(ResNetConfig.small28Basic(), options);
    }

    /** The small 1×28×28 bottleneck ResNet ({@link ResNetConfig#small28Bottleneck()}), default options. */
    public static Network small28Bottleneck() {
        return build(ResNetConfig.small28Bottleneck(), ZooOptions.defaults());
    }

    /** The small 1×28×28 bottleneck ResNet with the given options. */
    public static Network small28Bottleneck(ZooOptions options) {
        return build(ResNetConfig.small28Bottleneck(), options);
    }

    /** Name prefix of a block: {@code layer<stage>.<block>}, stage 1-based, block 0-based (torchvision). */
    public static String blockPrefix(int stage, int block) {
        return "layer" + stage + "." + block;
    }

    /** Builds the network of {@code config} with weights drawn as {@code options} says. */
    public static Network build(ResNetConfig config, ZooOptions options) {
        LayerFactory layers = new LayerFactory(options);
        NetworkBuilder nb = Network.builder(config.name())
                .input(INPUT, config.inputChannels(), config.inputHeight(), config.inputWidth());
        int stemK = config.stem() == ResNetStem.IMAGENET ? 7 : 3;
        int stemStride = config.stem() == ResNetStem.IMAGENET ? 2 : 1;
        nb.add("conv1", layers.conv("conv1", config.inputChannels(), config.stemWidth(), stemK, stemStride, stemK / 2, false),
                INPUT);
        nb.add("bn1", layers.batchNorm("bn1", config.stemWidth()), "conv1");
        nb.add("relu", new Op.Relu(), "bn1");
        if (config.stem() == ResNetStem.IMAGENET) {
            nb.add("maxpool", new Op.MaxPool(Hw.of(3), Hw.of(2), Padding.of(1), Hw.of(1), false), "relu");
        }
        int channels = config.stemWidth();
        for (int s = 0; s < config.blocksPerStage().size(); s++) {
            for (int b = 0; b < config.blocksPerStage().get(s); b++) {
                int stride = b == 0 ? config.strides().get(s) : 1;
                String prefix = blockPrefix(s + 1, b);
                if (config.block() == BlockType.BASIC) {
                    basic(nb, layers, prefix, channels, config.widths().get(s), stride);
                } else {
                    bottleneck(nb, layers, prefix, channels, config.widths().get(s), stride);
                }
                channels = config.stageOutChannels(s);
            }
        }
        nb.add("avgpool", new Op.GlobalAvgPool(), nb.last());
        nb.add("flatten", new Op.Flatten(1), "avgpool");
        nb.add("fc", layers.linear("fc", channels, config.classes()), "flatten");
        return nb.output("fc").build();
    }

    private static void basic(NetworkBuilder nb, LayerFactory layers, String p, int in, int width, int stride) {
        String x = nb.last();
        convBn(nb, layers, p + ".conv1", p + ".bn1", x, in, width, 3, stride);
        nb.add(p + ".relu1", new Op.Relu(), p + ".bn1");
        convBn(nb, layers, p + ".conv2", p + ".bn2", p + ".relu1", width, width, 3, 1);
        finish(nb, layers, p, x, in, width, stride, p + ".bn2");
    }

    private static void bottleneck(NetworkBuilder nb, LayerFactory layers, String p, int in, int width, int stride) {
        String x = nb.last();
        int out = width * BlockType.BOTTLENECK.expansion();
        convBn(nb, layers, p + ".conv1", p + ".bn1", x, in, width, 1, 1);
        nb.add(p + ".relu1", new Op.Relu(), p + ".bn1");
        convBn(nb, layers, p + ".conv2", p + ".bn2", p + ".relu1", width, width, 3, stride);
        nb.add(p + ".relu2", new Op.Relu(), p + ".bn2");
        convBn(nb, layers, p + ".conv3", p + ".bn3", p + ".relu2", width, out, 1, 1);
        finish(nb, layers, p, x, in, out, stride, p + ".bn3");
    }

    /** Shortcut (identity or projection), addition and the output ReLU. */
    private static void finish(NetworkBuilder nb, LayerFactory layers, String p, String x, int in, int out, int stride,
                               String mainBranch) {
        String shortcut = x;
        if (stride != 1 || in != out) {
            convBn(nb, layers, p + ".downsample.0", p + ".downsample.1", x, in, out, 1, stride);
            shortcut = p + ".downsample.1";
        }
        nb.add(p + ".add", new Op.Add(), mainBranch, shortcut);
        nb.add(p + ".relu_out", new Op.Relu(), p + ".add");
    }

    /** k×k conv (padding k/2, no bias) followed by BN. */
    private static void convBn(NetworkBuilder nb, LayerFactory layers, String convName, String bnName, String from,
                               int in, int out, int k, int stride) {
        nb.add(convName, layers.conv(convName, in, out, k, stride, k / 2, false), from);
        nb.add(bnName, layers.batchNorm(bnName, out), convName);
    }
}
