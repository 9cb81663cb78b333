package dev.thinet4j.pruner;

import dev.thinet4j.model.Network;

/**
 * Fine-tuning between pruned layers and at the end (ThiNet: one epoch per layer, then a longer run).
 * Returns the tuned network; must keep every node name and shape.
 */
public interface FineTuner {
    /** After layer {@code index} (1-based) of {@code total} was pruned and reconstructed. */
    Network afterLayer(Network net, int index, int total);

    /** After the last layer. */
    Network atEnd(Network net);

    /** No fine-tuning. */
    FineTuner NONE = new FineTuner() {
        @Override
        public Network afterLayer(Network net, int index, int total) {
            return net;
        }

        @Override
        public Network atEnd(Network net) {
            return net;
        }
    };
}
