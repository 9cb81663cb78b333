package dev.thinet4j.pruner;

import dev.thinet4j.model.Network;

/**
 * Fine-tuning between pruned layers and at the end (ThiNet: one epoch per layer, then a longer run).
 * Returns the tuned network; must keep every node name and shape.
 */
public interface FineTuner {
    /**
     * Called after layer {@code index} (1-based) of {@code total} was pruned and reconstructed.
     *
     * @param net   the network as pruned so far
     * @param index which step of the plan just finished, from 1
     * @param total the number of steps in the plan
     * @return the tuned network (or {@code net} itself)
     */
    Network afterLayer(Network net, int index, int total);

    /**
     * Called once after the last layer.
     *
     * @param net the fully pruned network
     * @return the tuned network (or {@code net} itself)
     */
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
