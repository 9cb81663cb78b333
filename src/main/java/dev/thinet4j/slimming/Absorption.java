package dev.thinet4j.slimming;

/**
 * One layer that took in the constant output of removed channels.
 *
 * <p>A removed channel c reaching the consumer with the constant a<sub>c</sub> adds, to output o,
 * δ<sub>o</sub> = Σ<sub>c</sub> a<sub>c</sub>·Σ<sub>ky,kx</sub> W[o, c, ky, kx] (conv) or
 * δ<sub>o</sub> = Σ<sub>c</sub> a<sub>c</sub>·Σ<sub>j ∈ columns of c</sub> W[o, j] (linear after
 * Flatten: H·W columns per channel, one after global pooling).
 *
 * @param consumer the conv or linear layer reading the removed channels
 * @param kind     where δ went
 * @param target   the node changed: the consumer itself, or the BN after it
 * @param maxShift max<sub>o</sub> |δ<sub>o</sub>|
 * @param exact    true when the compact network equals the masked one at every output position of
 *                 this consumer: its windows never touch zero padding (pad-0 conv, linear) or every
 *                 absorbed constant is 0, and the constants are exact everywhere upstream (no
 *                 zero-padded depthwise conv or count-include-pad average pool between the last
 *                 masked BN and the consumer, unless the constant entering it is 0)
 */
public record Absorption(String consumer, Kind kind, String target, double maxShift, boolean exact) {

    /** Where the shift δ is added. */
    public enum Kind {
        /** bias<sub>o</sub> += δ<sub>o</sub> of the consumer conv (a zero bias is created when it has none). */
        CONV_BIAS,
        /**
         * running_mean<sub>o</sub> −= δ<sub>o</sub> of the BN that is the only reader of the consumer conv:
         * BN(y + δ) with mean μ equals BN(y) with mean μ − δ; the conv keeps having no bias.
         */
        BN_RUNNING_MEAN,
        /** bias<sub>o</sub> += δ<sub>o</sub> of the consumer linear layer (created when it has none). */
        LINEAR_BIAS
    }
}
