package dev.thinet4j.engine;

import dev.thinet4j.model.Node;

/** Layout-agnostic kernels: the engine may hand them NHWC views ({@link #compute} handles both layouts). */
abstract class AnyLayoutKernel extends AbstractKernel {
    AnyLayoutKernel(Node node) {
        super(node);
    }

    @Override
    final boolean acceptsNhwc() {
        return true;
    }
}
