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
 */
public record ChannelGroup(List<String> producers, int channels, List<Member> members, List<String> tensors) {
    /**
     * Copies the lists.
     *
     * @param producers see the record description
     * @param channels see the record description
     * @param members see the record description
     * @param tensors see the record description
     */
    public ChannelGroup {
        producers = List.copyOf(producers);
        members = List.copyOf(members);
        tensors = List.copyOf(tensors);
    }

    /**
     * Members that read the channels (the layers "i+1" of ThiNet).
     *
     * @return the consuming convs and linears, in member order
     */
    public List<Member> consumers() {
        return members.stream()
                .filter(m -> m instanceof Member.ConsumerConv || m instanceof Member.ConsumerLinear)
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
