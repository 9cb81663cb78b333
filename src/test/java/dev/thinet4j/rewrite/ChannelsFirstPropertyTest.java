package dev.thinet4j.rewrite;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.SplittableRandom;

import static dev.thinet4j.rewrite.CfNets.TO_FIRST;
import static dev.thinet4j.rewrite.CfNets.TO_LAST;
import static dev.thinet4j.rewrite.CfNets.conv;
import static dev.thinet4j.rewrite.CfNets.linear;
import static dev.thinet4j.rewrite.CfNets.ln;
import static dev.thinet4j.rewrite.CfNets.rand;
import static dev.thinet4j.rewrite.CfNets.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One channels-last region over random channel counts, spatial sizes, hidden widths, unary ops, constants
 * (scalar, [C], [1,1,1,C], [W,C], [H,1,C]) and arithmetic: conv → Transpose → LayerNorm → two Linear branches
 * (one through a unary op) → Mul → Linear → ConstArith → Transpose → residual Add. The rewrite removes both
 * transposes, leaves no Linear, and the engine gives the same outputs to 1e-5 relative.
 */
class ChannelsFirstPropertyTest {
    private static double worst;

    @AfterContainer
    static void report() {
        System.out.println("ChannelsFirstPropertyTest: max relative difference over all tries " + worst);
    }

    private static Op unary(int kind) {
        return switch (kind) {
            case 0 -> new Op.Relu();
            case 1 -> new Op.Sigmoid();
            case 2 -> new Op.Erf();
            case 3 -> new Op.HardSwish();
            case 4 -> new Op.LeakyRelu(0.1f);
            case 5 -> new Op.Clip(-0.5f, 0.5f);
            case 6 -> new Op.HardSigmoid(0.2f, 0.5f);
            default -> new Op.Identity();
        };
    }

    private static Tensor constant(SplittableRandom rnd, int kind, int c, int h, int w) {
        return switch (kind) {
            case 0 -> CfNets.scalar((float) rnd.nextDouble(0.5, 1.5));
            case 1 -> CfNets.scalar((float) rnd.nextDouble(0.5, 1.5), 1);
            case 2 -> rand(rnd, 0.5, 1.5, c);
            case 3 -> rand(rnd, 0.5, 1.5, 1, 1, 1, c);
            case 4 -> rand(rnd, 0.5, 1.5, w, c);
            default -> rand(rnd, 0.5, 1.5, h, 1, c);
        };
    }

    @Property(tries = 60, seed = "20240611")
    void singleRegionRewritesExactly(@ForAll @IntRange(min = 1, max = 12) int c,
                                     @ForAll @IntRange(min = 1, max = 6) int h,
                                     @ForAll @IntRange(min = 1, max = 6) int w,
                                     @ForAll @IntRange(min = 1, max = 4) int expand,
                                     @ForAll @IntRange(min = 0, max = 8) int unaryKind,
                                     @ForAll @IntRange(min = 0, max = 5) int constKind,
                                     @ForAll @IntRange(min = 0, max = 3) int arith,
                                     @ForAll boolean constFirst,
                                     @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int hidden = expand * c;
        Arith a = Arith.values()[arith];
        NetworkBuilder b = Network.builder("region").input("x", 3, h, w)
                .add("stem", conv(rnd, 3, c, 1, 1, 0, 1), "x")
                .add("in", t(TO_LAST), "stem")
                .add("ln", ln(rnd, 3, c), "in")
                .add("fa", linear(rnd, c, hidden), "ln")
                .add("fb", linear(rnd, c, hidden), "ln");
        if (unaryKind == 8) { // Sqrt of a positive value
            b.add("u0", new Op.Sigmoid(), "fa").add("u", new Op.Sqrt(), "u0");
        } else {
            b.add("u", unary(unaryKind), "fa");
        }
        b.add("m", new Op.Binary(Arith.MUL), "u", "fb")
                .add("fc2", linear(rnd, hidden, c), "m")
                .add("k", new Op.ConstArith(a, constant(rnd, constKind, c, h, w), constFirst && a != Arith.DIV), "fc2")
                .add("out", t(TO_FIRST), "k")
                .add("res", new Op.Add(), "out", "stem");
        Network net = b.build();

        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        Network out = r.network();
        assertEquals(List.of(), out.nodesOf(Op.Transpose.class), CfNets.describe(out));
        assertEquals(List.of(), out.nodesOf(Op.Linear.class));
        assertEquals(1, r.regions().size());
        assertEquals(List.of(), r.skipped());
        assertEquals(net.nodes().size() - 2, out.nodes().size());
        assertEquals(1, ((Op.LayerNorm) out.node("ln").op()).axis());
        try (INDArray x = CfNets.input(net, 1 + (int) Math.floorMod(seed, 3L), seed)) {
            double d = CfNets.maxRelDiff(net, out, x);
            worst = Math.max(worst, d);
            assertTrue(d <= 1e-5, "max relative difference " + d + " for c=" + c + " h=" + h + " w=" + w
                    + "\n" + CfNets.describe(out));
        }
    }
}
