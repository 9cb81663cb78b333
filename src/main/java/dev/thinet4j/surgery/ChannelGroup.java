package dev.thinet4j.surgery;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Channels that must be removed together: the output channels of one or more producing convs
 * (several when they meet in a residual Add), every BN and depthwise conv they pass through, and
 * the layers that read them.
 *
 * @param producers names of the convs whose filters are the group's channels (several = coupled by Add)
 * @param channels  number of channels in the group
 * @param members   every place the channels appear, producers first
 * @param tensors   the activation tensors that carry the group's channels (in topological order)
 * @param blocks    B ≥ 1, dividing {@code channels}: the channels form B contiguous blocks of C/B
 *                  (block b = [b·C/B, (b+1)·C/B)) and pruning must remove the same number from every block.
 *                  1 when no grouped conv constrains the group; otherwise the least common multiple of the
 *                  {@code groups} of the grouped convs that read or write the channels, whose partition refines
 *                  each of theirs (see {@link DependencyGraph})
 * @param scattered the members whose channels are not at {@code offset + c} (their offset is −1): for each,
 *                  the index of every group channel on its axis, −1 where the channel does not reach it
 *                  (after a channel shuffle the channels are scattered; after a slice only some are present)
 */
public record ChannelGroup(List<String> producers, int channels, List<Member> members, List<String> tensors,
                           int blocks, Map<Member, int[]> scattered) {
    /**
     * Copies the lists and checks the block count.
     *
     * @param producers see the record description
     * @param channels see the record description
     * @param members see the record description
     * @param tensors see the record description
     * @param blocks see the record description
     * @param scattered see the record description (copied)
     * @throws IllegalArgumentException when blocks is below 1 or does not divide channels, or a scattered
     *                                  member's positions do not have one entry per channel
     */
    public ChannelGroup {
        producers = List.copyOf(producers);
        members = List.copyOf(members);
        tensors = List.copyOf(tensors);
        Map<Member, int[]> copy = new LinkedHashMap<>();
        for (Map.Entry<Member, int[]> e : scattered.entrySet()) {
            if (e.getValue().length != channels || e.getKey().offset() != -1) {
                throw new IllegalArgumentException("scattered member " + e.getKey() + " needs offset -1 and "
                        + channels + " positions, got " + e.getValue().length);
            }
            copy.put(e.getKey(), e.getValue().clone());
        }
        scattered = Collections.unmodifiableMap(copy);
        if (blocks < 1 || channels % blocks != 0) {
            throw new IllegalArgumentException("a group of " + channels + " channels cannot form " + blocks
                    + " equal blocks");
        }
    }

    /**
     * A group without block constraint ({@code blocks} = 1).
     *
     * @param producers see the record description
     * @param channels see the record description
     * @param members see the record description
     * @param tensors see the record description
     */
    public ChannelGroup(List<String> producers, int channels, List<Member> members, List<String> tensors) {
        this(producers, channels, members, tensors, 1);
    }

    /**
     * A group whose members all hold the channels contiguously.
     *
     * @param producers see the record description
     * @param channels see the record description
     * @param members see the record description
     * @param tensors see the record description
     * @param blocks see the record description
     */
    public ChannelGroup(List<String> producers, int channels, List<Member> members, List<String> tensors,
                        int blocks) {
        this(producers, channels, members, tensors, blocks, Map.of());
    }

    /**
     * Where each group channel sits on a member's axis.
     *
     * @param m a member of this group
     * @return a new array: entry c is the index of group channel c on the member's channel axis (for a linear
     *         consumer: its channel block), −1 when that channel does not reach the member
     */
    public int[] positions(Member m) {
        int[] p = scattered.get(m);
        if (p != null) {
            return p.clone();
        }
        int[] out = new int[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = m.offset() + c;
        }
        return out;
    }

    /**
     * Channels per block.
     *
     * @return C / B
     */
    public int blockSize() {
        return channels / blocks;
    }

    /**
     * The largest number of channels at most {@code remove} that can be removed keeping the blocks balanced.
     *
     * @param remove a wanted number of removed channels
     * @return ⌊remove / B⌋·B
     */
    public int balancedRemoval(int remove) {
        return remove / blocks * blocks;
    }

    /**
     * Members that read the channels (the layers "i+1" of ThiNet).
     *
     * @return the consuming convs (ordinary and grouped) and linears, in member order
     */
    public List<Member> consumers() {
        return members.stream()
                .filter(m -> m instanceof Member.ConsumerConv || m instanceof Member.ConsumerLinear
                        || m instanceof Member.GroupedConsumerConv)
                .toList();
    }

    /**
     * Whether the channels meet other producers' channels in a residual Add.
     *
     * @return true when there is more than one producer
     */
    public boolean isCoupled() {
        return producers.size() > 1;
    }

    /**
     * A readable chain of the member nodes.
     *
     * @return e.g. {@code conv1 => bn1 => conv2}
     */
    public String describe() {
        return members.stream().map(Member::node).distinct().collect(Collectors.joining(" => "));
    }

    /** Equal groups have equal components, scattered positions compared by value. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ChannelGroup g) || g.channels != channels || g.blocks != blocks
                || !g.producers.equals(producers) || !g.members.equals(members) || !g.tensors.equals(tensors)
                || !g.scattered.keySet().equals(scattered.keySet())) {
            return false;
        }
        for (Map.Entry<Member, int[]> e : scattered.entrySet()) {
            if (!java.util.Arrays.equals(e.getValue(), g.scattered.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(producers, channels, members, tensors, blocks, scattered.keySet());
    }
}
