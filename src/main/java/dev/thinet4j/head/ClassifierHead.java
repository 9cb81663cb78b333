package dev.thinet4j.head;

import java.util.List;

/**
 * A fully connected classifier head found by {@link HeadReplacement#find}: the chain of nodes from a
 * Flatten of a spatial feature tensor to the network's output.
 *
 * @param features the [N, C, H, W] tensor the head reads (the Flatten's input, or the input of a
 *                 GlobalAveragePool feeding the Flatten)
 * @param nodes    the nodes the replacement removes, in network order: an optional GlobalAveragePool,
 *                 the Flatten, then Linear / ReLU / Dropout(Identity) / … up to the logits
 * @param logits   the node writing the [N, K] logits the new linear layer is fitted to (the last node of
 *                 {@code nodes}); the new linear layer takes its name
 * @param softmax  a trailing Softmax node after the logits, kept as it is; null when there is none
 * @param channels C, the feature channels (inputs of the new linear layer)
 * @param classes  K, the logits' width (outputs of the new linear layer)
 */
public record ClassifierHead(String features, List<String> nodes, String logits, String softmax, int channels,
                             int classes) {
    /**
     * Copies the node list.
     *
     * @param features see the record description
     * @param nodes see the record description
     * @param logits see the record description
     * @param softmax see the record description
     * @param channels see the record description
     * @param classes see the record description
     */
    public ClassifierHead {
        nodes = List.copyOf(nodes);
    }
}
