package dev.thinet4j.head;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HeadReplacementTest {

    @Test
    void findsTheFullyConnectedHeadOfAVggNet() {
        ClassifierHead head = HeadReplacement.find(TestNets.vggDeep(1));
        assertThat(head.features()).isEqualTo("pool5");
        assertThat(head.nodes()).containsExactly("flatten", "fc1", "relu_fc1", "drop", "fc2");
        assertThat(head.logits()).isEqualTo("fc2");
        assertThat(head.softmax()).isNull();
        assertThat(head.channels()).isEqualTo(10);
        assertThat(head.classes()).isEqualTo(5);
    }

    @Test
    void replacesTheHeadByGapFlattenLinearKeepingOutputNamesAndShapes() {
        Network net = TestNets.vggDeep(1);
        ClassifierHead head = HeadReplacement.find(net);
        Op.Linear linear = new Op.Linear(Tensor.filled(0.5f, 5, 10), Tensor.filled(0.25f, 5));
        Network gap = HeadReplacement.replace(net, head, linear);

        List<String> names = gap.nodes().stream().map(Node::name).toList();
        int last = names.indexOf("pool5");
        assertThat(names.subList(last, names.size())).containsExactly("pool5", "gap", "flatten", "fc2");
        assertThat(names.subList(0, last)).isEqualTo(net.nodes().stream().map(Node::name).toList().subList(0, last));
        assertThat(gap.outputs()).isEqualTo(net.outputs());
        assertThat(gap.node("gap").op()).isInstanceOf(Op.GlobalAvgPool.class);
        assertThat(gap.node("gap").inputs()).containsExactly("pool5");
        assertThat(gap.node("flatten").inputs()).containsExactly("gap");
        assertThat(gap.node("fc2").op()).isSameAs(linear);
        Map<String, int[]> shapes = gap.shapes(3);
        assertThat(shapes.get("gap")).containsExactly(3, 10, 1, 1);
        assertThat(shapes.get("flatten")).containsExactly(3, 10);
        assertThat(shapes.get("fc2")).containsExactly(3, 5);
        // params: the head 90·16 + 16 + 16·5 + 5 becomes 10·5 + 5
        long body = ModelSize.of(net).totalParams() - (90 * 16 + 16 + 16 * 5 + 5);
        assertThat(ModelSize.of(gap).totalParams()).isEqualTo(body + 10 * 5 + 5);

        assertThatThrownBy(() -> HeadReplacement.replace(net, head, new Op.Linear(Tensor.zeros(5, 9), null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[5, 10]")
                .hasMessageContaining("[5, 9]");
    }

    @Test
    void aGapBeforeTheFlattenIsReusedAndATrailingSoftmaxKept() {
        Network residual = TestNets.residual(2);
        ClassifierHead head = HeadReplacement.find(residual);
        assertThat(head.features()).isEqualTo("b2.relu");
        assertThat(head.nodes()).containsExactly("gap", "flatten", "fc");
        Network gap = HeadReplacement.toGapHead(residual, null, GapHeadOptions.DEFAULTS.withInit(HeadInit.ZERO))
                .network();
        assertThat(gap.nodes().stream().map(Node::name).toList())
                .isEqualTo(residual.nodes().stream().map(Node::name).toList());

        Network vgg = TestNets.vggDeep(3);
        var b = Network.builder("soft").input("input", 3, 12, 12);
        vgg.nodes().forEach(b::add);
        Network soft = b.add("prob", new Op.Softmax(1), "fc2").output("prob").build();
        ClassifierHead h2 = HeadReplacement.find(soft);
        assertThat(h2.softmax()).isEqualTo("prob");
        assertThat(h2.logits()).isEqualTo("fc2");
        Network g2 = HeadReplacement.replace(soft, h2, new Op.Linear(Tensor.zeros(5, 10), null));
        assertThat(g2.node("prob").inputs()).containsExactly("fc2");
        assertThat(g2.outputs()).containsExactly("prob");
    }

    @Test
    void refusesNetworksWithoutSuchAHeadNamingTheNode() {
        Random r = new Random(1);
        Network convOnly = Network.builder("conv-only").input("input", 1, 6, 6)
                .add("conv", TestNets.conv(r, 1, 2, 3, 1, 1), "input")
                .add("relu", new Op.Relu(), "conv").build();
        assertThatThrownBy(() -> HeadReplacement.find(convOnly)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'conv-only'").hasMessageContaining("'conv' (Conv)");

        Network gapHeadless = Network.builder("gap-only").input("input", 1, 6, 6)
                .add("conv", TestNets.conv(r, 1, 2, 3, 1, 1), "input")
                .add("gap", new Op.GlobalAvgPool(), "conv")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("relu", new Op.Relu(), "flatten").build();
        assertThatThrownBy(() -> HeadReplacement.find(gapHeadless)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no Gemm").hasMessageContaining("'flatten'");

        Network shared = TestNets.vggDeep(1).toBuilder().add("aux", TestNets.linear(r, 16, 2), "relu_fc1").build();
        assertThatThrownBy(() -> HeadReplacement.find(shared)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'relu_fc1'").hasMessageContaining("'aux' (Gemm)");

        Network addAfter = Network.builder("add-head").input("input", 1, 4, 4)
                .add("conv", TestNets.conv(r, 1, 2, 3, 1, 1), "input")
                .add("flatten", new Op.Flatten(1), "conv")
                .add("fc", TestNets.linear(r, 32, 3), "flatten")
                .add("fc_b", TestNets.linear(r, 32, 3), "flatten")
                .add("sum", new Op.Add(), "fc", "fc_b").build();
        assertThatThrownBy(() -> HeadReplacement.find(addAfter)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'sum' (Add)");
    }

    /**
     * A head that is linear in the GAP features: fc1 weights W1[j, c·HW + p] = A[j, c] / HW, so
     * fc2(fc1(flatten(F))) = W2 A g + W2 b1 + b2 exactly; the least-squares head must reproduce it.
     */
    private static Network affineHead(long seed) {
        Random r = new Random(seed);
        int c = 6;
        int hw = 9;
        var body = Network.builder("affine").input("input", 2, 6, 6)
                .add("conv1", TestNets.conv(r, 2, 8, 3, 1, 1), "input")
                .add("relu1", new Op.Relu(), "conv1")
                .add("conv2", TestNets.conv(r, 8, c, 3, 1, 1), "relu1")
                .add("relu2", new Op.Relu(), "conv2")
                .add("pool", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), "relu2");
        float[] a = TestNets.rand(r, 1f, 7, c).data();
        float[] w1 = new float[7 * c * hw];
        for (int j = 0; j < 7; j++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) {
                    w1[(j * c + ch) * hw + p] = a[j * c + ch] / hw;
                }
            }
        }
        return body
                .add("flatten", new Op.Flatten(1), "pool")
                .add("fc1", new Op.Linear(Tensor.of(w1, 7, c * hw), TestNets.rand(r, 0.3f, 7)), "flatten")
                .add("drop", new Op.Identity(), "fc1")
                .add("fc2", TestNets.linear(r, 7, 4), "drop")
                .output("fc2").build();
    }

    @Test
    void leastSquaresHeadIsExactWhenTheLogitsAreAnAffineFunctionOfTheGapFeatures() {
        Network net = affineHead(5);
        int n = 64;
        float[] x = Forward.images(net, n, 11);
        GapHeadResult res;
        try (ImageSource calib = ImageSources.fromArray(x, n, 2, 6, 6, null)) {
            res = HeadReplacement.toGapHead(net, calib, GapHeadOptions.DEFAULTS.withRidge(0), 1, 10);
        }
        assertThat(res.images()).isEqualTo(n);
        assertThat(res.residual()).isLessThan(1e-5);

        // the expected affine map, computed by hand in float64 from the old weights
        Op.Linear fc1 = (Op.Linear) net.node("fc1").op();
        Op.Linear fc2 = (Op.Linear) net.node("fc2").op();
        Op.Linear fit = (Op.Linear) res.network().node("fc2").op();
        assertThat(fit.weight().shape()).containsExactly(4, 6);
        for (int k = 0; k < 4; k++) {
            double bias = fc2.bias().get(k);
            for (int j = 0; j < 7; j++) {
                bias += fc2.weight().at(k, j) * fc1.bias().get(j);
            }
            assertThat((double) fit.bias().get(k)).isCloseTo(bias, org.assertj.core.data.Offset.offset(1e-4));
            for (int c = 0; c < 6; c++) {
                double w = 0;
                for (int j = 0; j < 7; j++) {
                    w += fc2.weight().at(k, j) * fc1.weight().at(j, c * 9) * 9;
                }
                assertThat((double) fit.weight().at(k, c)).isCloseTo(w, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
        // on held-out images the new head gives the old logits
        float[] test = Forward.images(net, 20, 99);
        float[] before = Forward.run(net, test, 20);
        float[] after = Forward.run(res.network(), test, 20);
        assertThat(Forward.relError(after, before)).isLessThan(1e-5);
    }

    @Test
    void refitFitsAnExistingGapHeadToAReferenceNetworksLogits() {
        Network net = affineHead(5);
        Network zero = HeadReplacement.toGapHead(net, null, GapHeadOptions.DEFAULTS.withInit(HeadInit.ZERO)).network();
        float[] x = Forward.images(net, 64, 11);
        GapHeadResult res;
        try (ImageSource calib = ImageSources.fromArray(x, 64, 2, 6, 6, null)) {
            res = HeadReplacement.refit(zero, net, calib, GapHeadOptions.DEFAULTS.withRidge(0), 1, 16);
            assertThatThrownBy(() -> HeadReplacement.refit(net, net, calib, GapHeadOptions.DEFAULTS, 1, 16))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no GAP head to refit")
                    .hasMessageContaining("fc1");
            Random r = new Random(1);
            Network threeClasses = Network.builder("three").input("input", 2, 6, 6)
                    .add("conv", TestNets.conv(r, 2, 2, 3, 1, 1), "input")
                    .add("flatten", new Op.Flatten(1), "conv")
                    .add("fc", TestNets.linear(r, 72, 3), "flatten").build();
            assertThatThrownBy(() -> HeadReplacement.refit(zero, threeClasses, calib, GapHeadOptions.DEFAULTS, 1, 16))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'three'")
                    .hasMessageContaining("[1, 3]").hasMessageContaining("[N, 4]");
        }
        assertThat(res.network().nodes()).extracting(Node::name)
                .isEqualTo(zero.nodes().stream().map(Node::name).toList());
        assertThat(res.residual()).isLessThan(1e-5);
        float[] test = Forward.images(net, 20, 99);
        assertThat(Forward.relError(Forward.run(res.network(), test, 20), Forward.run(net, test, 20)))
                .isLessThan(1e-5);
    }

    @Test
    void leastSquaresHeadMatchesAFloat64RidgeSolutionOfTheFullDesign() {
        Network net = TestNets.vggDeep(4);
        int n = 40;
        float[] x = Forward.images(net, n, 3);
        double rho = 1e-2;
        GapHeadResult res;
        try (ImageSource calib = ImageSources.fromArray(x, n, 3, 12, 12, null)) {
            res = HeadReplacement.toGapHead(net, calib, GapHeadOptions.DEFAULTS.withRidge(rho), 7, 7);
        }
        // reference: GAP by hand in float64 from the pool5 activations, logits of the old net, then
        // min ‖[G 1]Θ − Z‖² + λ‖W‖² by QR on the design stacked with √λ·I rows (no normal equations)
        int c = 10;
        int k = 5;
        double[][] g = new double[n][c];
        double[][] z = new double[n][k];
        try (InferenceEngine e = new InferenceEngine(net);
             INDArray in = Nd4j.create(x, new long[]{n, 3, 12, 12}, 'c')) {
            Map<String, INDArray> t = e.forward(in, List.of("pool5", "fc2"));
            INDArray f = t.get("pool5").castTo(DataType.DOUBLE).dup('c');
            INDArray l = t.get("fc2").castTo(DataType.DOUBLE).dup('c');
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int p = 0; p < 3; p++) {
                        for (int q = 0; q < 3; q++) {
                            s += f.getDouble(i, ch, p, q);
                        }
                    }
                    g[i][ch] = s / 9;
                }
                for (int j = 0; j < k; j++) {
                    z[i][j] = l.getDouble(i, j);
                }
            }
        }
        double lambda = 0;
        for (int ch = 0; ch < c; ch++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += g[i][ch] / n;
            }
            for (int i = 0; i < n; i++) {
                lambda += (g[i][ch] - mean) * (g[i][ch] - mean);
            }
        }
        lambda = rho * lambda / c;
        assertThat(res.ridge()).isCloseTo(lambda, org.assertj.core.data.Offset.offset(1e-9 * lambda));
        DMatrixRMaj design = new DMatrixRMaj(n + c, c + 1);
        DMatrixRMaj target = new DMatrixRMaj(n + c, k);
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                design.set(i, ch, g[i][ch]);
            }
            design.set(i, c, 1);
            for (int j = 0; j < k; j++) {
                target.set(i, j, z[i][j]);
            }
        }
        for (int ch = 0; ch < c; ch++) {
            design.set(n + ch, ch, Math.sqrt(lambda));
        }
        LinearSolverDense<DMatrixRMaj> qr = LinearSolverFactory_DDRM.leastSquares(n + c, c + 1);
        assertThat(qr.setA(design)).isTrue();
        DMatrixRMaj theta = new DMatrixRMaj(c + 1, k);
        qr.solve(target, theta);

        Op.Linear fit = (Op.Linear) res.network().node("fc2").op();
        double scale = 0;
        for (int i = 0; i < theta.getNumElements(); i++) {
            scale = Math.max(scale, Math.abs(theta.data[i]));
        }
        for (int j = 0; j < k; j++) {
            for (int ch = 0; ch < c; ch++) {
                assertThat(Math.abs(fit.weight().at(j, ch) - theta.get(ch, j))).isLessThan(1e-4 * scale);
            }
            assertThat(Math.abs(fit.bias().get(j) - theta.get(c, j))).isLessThan(1e-4 * scale);
        }
        assertThat(res.residual()).isGreaterThan(0).isLessThan(1);
        assertThat(res.asMap()).containsEntry("head_init", "least-squares").containsEntry("head_images", "40")
                .containsEntry("head",
                        "gap: flatten,fc1,relu_fc1,drop,fc2 -> gap,flatten,fc2 (Linear 10->5)");
    }

    @Test
    void drawsAtMostTheRequestedImagesSeeded() {
        Network net = TestNets.vggDeep(4);
        float[] x = Forward.images(net, 50, 3);
        try (ImageSource calib = ImageSources.fromArray(x, 50, 3, 12, 12, null)) {
            GapHeadOptions o = GapHeadOptions.DEFAULTS.withImages(20);
            GapHeadResult a = HeadReplacement.toGapHead(net, calib, o, 3, 8);
            GapHeadResult b = HeadReplacement.toGapHead(net, calib, o, 3, 16);
            GapHeadResult other = HeadReplacement.toGapHead(net, calib, o, 4, 8);
            assertThat(a.images()).isEqualTo(20);
            Op.Linear la = (Op.Linear) a.network().node("fc2").op();
            Op.Linear lb = (Op.Linear) b.network().node("fc2").op();
            Op.Linear lo = (Op.Linear) other.network().node("fc2").op();
            assertThat(Forward.relError(la.weight().data(), lb.weight().data())).isLessThan(1e-5);
            assertThat(la.weight()).isNotEqualTo(lo.weight());
        }
    }

    @Test
    void zeroAndRandomInits() {
        Network net = TestNets.vggDeep(1);
        GapHeadResult zero = HeadReplacement.toGapHead(net, null, GapHeadOptions.DEFAULTS.withInit(HeadInit.ZERO));
        Op.Linear z = (Op.Linear) zero.network().node("fc2").op();
        assertThat(z.weight()).isEqualTo(Tensor.zeros(5, 10));
        assertThat(z.bias()).isEqualTo(Tensor.zeros(5));
        assertThat(zero.asMap()).containsEntry("head_init", "zero").doesNotContainKey("head_residual");

        GapHeadOptions rnd = GapHeadOptions.DEFAULTS.withInit(HeadInit.RANDOM);
        Op.Linear r1 = (Op.Linear) HeadReplacement.toGapHead(net, null, rnd, 5, 32).network().node("fc2").op();
        Op.Linear r2 = (Op.Linear) HeadReplacement.toGapHead(net, null, rnd, 5, 32).network().node("fc2").op();
        Op.Linear r3 = (Op.Linear) HeadReplacement.toGapHead(net, null, rnd, 6, 32).network().node("fc2").op();
        assertThat(r1.weight()).isEqualTo(r2.weight());
        assertThat(r1.weight()).isNotEqualTo(r3.weight());
        double bound = 1 / Math.sqrt(10);
        for (float v : r1.weight().data()) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo((float) bound);
        }
        assertThatThrownBy(() -> HeadReplacement.toGapHead(net, null, GapHeadOptions.DEFAULTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs calibration images");
        assertThat(HeadInit.parse("ls")).isEqualTo(HeadInit.LEAST_SQUARES);
        assertThat(HeadInit.parse("least-squares")).isEqualTo(HeadInit.LEAST_SQUARES);
        assertThatThrownBy(() -> HeadInit.parse("ones")).hasMessageContaining("least-squares, zero or random");
        assertThatThrownBy(() -> new GapHeadOptions(HeadInit.ZERO, 0, 0)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new GapHeadOptions(HeadInit.ZERO, 1, -1)).hasMessageContaining("ridge");
    }

    @Test
    void exportedGapHeadMatchesOnnxRuntime(@TempDir Path dir) throws Exception {
        Network net = TestNets.vggDeep(6);
        float[] x = Forward.images(net, 30, 8);
        GapHeadResult res;
        try (ImageSource calib = ImageSources.fromArray(x, 30, 3, 12, 12, null)) {
            res = HeadReplacement.toGapHead(net, calib, GapHeadOptions.DEFAULTS, 1, 16);
        }
        Path file = dir.resolve("gap.onnx");
        OnnxExporter.save(res.network(), file);
        float[] test = Forward.images(net, 6, 21);
        float[] ours = Forward.run(res.network(), test, 6);
        float[] ort = ort(file, net.input().name(), test, new long[]{6, 3, 12, 12});
        assertThat(ort).hasSize(6 * 5);
        assertThat(Forward.relError(ours, ort)).isLessThan(1e-4);
    }

    private static float[] ort(Path model, String inputName, float[] x, long[] shape) throws Exception {
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (ai.onnxruntime.OrtSession.SessionOptions opts = new ai.onnxruntime.OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (ai.onnxruntime.OrtSession session = env.createSession(model.toString(), opts);
                 ai.onnxruntime.OnnxTensor in = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 ai.onnxruntime.OrtSession.Result result = session.run(Map.of(inputName, in))) {
                FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) result.get(0)).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            }
        }
    }
}
