package dev.thinet4j.surgery;

/**
 * One place where the channels of a {@link ChannelGroup} appear, with the index map from a group
 * channel {@code c} to that place's own axis: {@code offset + c} (Concat shifts the offset), and for
 * a linear layer after Flatten each channel owns a block of {@code blockSize} = H·W columns.
 */
public sealed interface Member {
    /**
     * The node to cut.
     *
     * @return its name
     */
    String node();

    /**
     * Index of group channel 0 on this member's channel axis, when group channel c sits at
     * {@code offset + c}; −1 when the channels are scattered (after a channel shuffle) or only some of
     * them reach the member (after a slice): {@link ChannelGroup#positions(Member)} then gives each
     * channel's index. Use {@code positions} in new code.
     *
     * @return the offset, 0 unless a Concat precedes the member, or −1
     */
    int offset();

    /** A conv whose output filters (and bias entries) are the group's channels. */
    record ProducerConv(String node, int offset) implements Member {
    }

    /** A BatchNormalization whose γ, β, mean and variance entries follow the channels. */
    record BatchNormChannels(String node, int offset) implements Member {
    }

    /** A depthwise conv: its input and output channel are the same channel (filters and bias cut). */
    record DepthwiseConv(String node, int offset) implements Member {
    }

    /** A conv reading the channels: its weight's input-channel axis (1) is cut. */
    record ConsumerConv(String node, int offset) implements Member {
    }

    /**
     * A grouped (not depthwise) conv reading the channels: weight [C_out, C_in/g, k_h, k_w] with g = {@code groups}
     * conv groups. The group covers the conv's whole input (offset 0, C = C_in), so conv group q reads group
     * channels [q·C_in/g, (q+1)·C_in/g) — a block of the group — and output row o belongs to conv group
     * q = o / (C_out/g). Every block must lose the same number of channels (C_in/g shrinks uniformly); cutting
     * keeps, in each row, the columns of the kept channels of its own block.
     */
    record GroupedConsumerConv(String node, int offset, int groups) implements Member {
    }

    /**
     * A grouped (not depthwise) conv whose output filters are the group's channels: its C_out = C filters come in
     * g = {@code groups} blocks of C/g (one per conv group); every block must lose the same number of filters.
     * Rows and bias entries are cut; the conv keeps its g groups and its weight's axis 1 (C_in/g).
     */
    record GroupedProducerConv(String node, int offset, int groups) implements Member {
    }

    /** A linear layer reading the channels through Flatten: column block [(offset+c)·blockSize, …) per channel. */
    record ConsumerLinear(String node, int offset, int blockSize) implements Member {
    }

    /**
     * A constant broadcast along the channels that must follow them: a per-channel {@code ConstArith}
     * operand such as ConvNeXt's layer scale ([C, 1, 1] on NCHW, [C] on channels-last). Its entries
     * on axis {@code axis} of the constant are cut.
     */
    record ChannelConstant(String node, int offset, int axis) implements Member {
    }

    /**
     * A channel Slice of a tensor that carries the group ({@code offset} is where group channel 0 sits
     * on the slice's input): each bound moves down by the removed group channels below it, whether
     * the range holds the group or lies beside it.
     */
    record SliceBounds(String node, int offset) implements Member {
    }

    /**
     * A LayerNormalization over the channel axis: its scale and shift entries follow the channels
     * (the normalisation statistics then run over the kept channels).
     */
    record LayerNormChannels(String node, int offset) implements Member {
    }

    /**
     * A channel shuffle or gather the group's channels pass through: it becomes a {@code ChannelGather} of
     * the kept channels, in the same order.
     */
    record ChannelReorder(String node, int offset) implements Member {
    }
}
