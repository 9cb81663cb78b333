package dev.thinet4j.surgery;

import java.util.List;
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
 */
public record ChannelGroup(List<String> producers, int channels, List<Member> members, List<String> tensors,
                           int blocks) {
    /**
     * Copies the lists and checks the block count.
     *
     * @param producers see the record description
     * @param channels see the record description
     * @param members see the record description
     * @param tensors see the record description
     * @param blocks see the record description
     * @throws IllegalArgumentException when blocks is below 1 or does not divide channels
     */
    public ChannelGroup {
        producers = List.copyOf(producers);
        members = List.copyOf(members);
        tensors = List.copyOf(tensors);
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
}
