package dev.thinet4j.zoo;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;

import java.util.ArrayList;
import java.util.List;

/**
 * VGG networks (Simonyan &amp; Zisserman, 2015) with seeded random weights.
 *
 * <p>Node names follow the paper: for block b (1-based) and conv i, {@code conv<b>_<i>},
 * {@code bn<b>_<i>} (with batch norm), {@code relu<b>_<i>}, then {@code pool<b>}. The
 * {@link VggHead#FC} head is {@code flatten}, then for each hidden layer k = 6, 7, …
 * {@code fc<k>}, {@code relu<k>}, {@code drop<k>}, and the classifier {@code fc<k>} with the next
 * number (VGG-16: fc6, fc7, fc8). The {@link VggHead#GAP} head is {@code gap}, {@code flatten},
 * {@code fc6}. The input is {@code input}; the single output is the classifier's logits.
 *
 * <p>Unlike torchvision there is no adaptive average pool before the FC head: the first FC layer
 * takes the flattened output of the last max pool (at 224×224 torchvision's pool is the identity).
 */
public final class Vgg {
    /** Name of the network input. */
    public static final String INPUT = "input";
    /** Number of the first fully connected layer ({@code fc6}), as in the paper. */
    public static final int FIRST_FC = 6;

    private Vgg() {
    }

    /** VGG-16, FC head, 1000 classes, 3×224×224, default options. Holds 138 M parameters (~550 MB). */
    public static Network vgg16() {
        return build(VggConfig.vgg16(), ZooOptions.defaults());
    }

    /** VGG-16 with the given options. */
    public static Network vgg16(ZooOptions options) {
        return build(VggConfig.vgg16(), options);
    }

    /** VGG-16 with batch normalisation, with the given options. */
    public static Network vgg16Bn(ZooOptions options) {
        return build(VggConfig.vgg16Bn(), options);
    }

    /** The small 1×28×28, 10-class VGG ({@link VggConfig#small28()}), default options. */
    public static Network small28() {
        return build(VggConfig.small28(), ZooOptions.defaults());
    }

    /** The small 1×28×28, 10-class VGG with the given options. */
    public static Network small28(ZooOptions options) {
        return build(VggConfig.small28(), options);
    }

    /** Name of conv{block}_{index}, both 1-based. */
    public static String convName(int block, int index) {
        return "conv" + block + "_" + index;
    }

    /** Names of all convolutions of a configuration, in order (conv1_1, conv1_2, conv2_1, …). */
    public static List<String> convNames(VggConfig config) {
        List<String> names = new ArrayList<>();
        for (int b = 0; b < config.blocks().size(); b++) {
            for (int i = 0; i < config.blocks().get(b).size(); i++) {
                names.add(convName(b + 1, i + 1));
            }
        }
        return List.copyOf(names);
    }

    /** Builds the network of {@code config} with weights drawn as {@code options} says. */
    public static Network build(VggConfig config, ZooOptions options) {
        LayerFactory layers = new LayerFactory(options);
        NetworkBuilder nb = Network.builder(config.name())
                .input(INPUT, config.inputChannels(), config.inputHeight(), config.inputWidth());
        int channels = config.inputChannels();
        for (int b = 0; b < config.blocks().size(); b++) {
            int blockNo = b + 1;
            for (int i = 0; i < config.blocks().get(b).size(); i++) {
                String suffix = blockNo + "_" + (i + 1);
                int width = config.convWidth(b, i);
                String prev = nb.last();
                nb.add("conv" + suffix, layers.conv("conv" + suffix, channels, width, 3, 1, 1, true), prev);
                if (config.batchNorm()) {
                    nb.add("bn" + suffix, layers.batchNorm("bn" + suffix, width), nb.last());
                }
                nb.add("relu" + suffix, new Op.Relu(), nb.last());
                channels = width;
            }
            nb.add("pool" + blockNo, new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), nb.last());
        }
        int[] hw = config.finalSpatialSize();
        int fc = FIRST_FC;
        int features;
        if (config.head() == VggHead.GAP) {
            nb.add("gap", new Op.GlobalAvgPool(), nb.last());
            nb.add("flatten", new Op.Flatten(1), nb.last());
            features = channels;
        } else {
            nb.add("flatten", new Op.Flatten(1), nb.last());
            features = Math.multiplyExact(channels, Math.multiplyExact(hw[0], hw[1]));
            for (int hidden : config.hiddenFeatures()) {
                nb.add("fc" + fc, layers.linear("fc" + fc, features, hidden), nb.last());
                nb.add("relu" + fc, new Op.Relu(), nb.last());
                nb.add("drop" + fc, new Op.Identity(), nb.last());
                features = hidden;
                fc++;
            }
        }
        nb.add("fc" + fc, layers.linear("fc" + fc, features, config.classes()), nb.last());
        return nb.output(nb.last()).build();
    }
}
