package dev.thinet4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parameter and MAC accounting for one input image (batch 1).
 *
 * <p>Parameters follow PyTorch's convention: weights, biases and BN scale/shift count; BN running
 * mean/variance do not. MACs: Conv C_out·H_out·W_out·(C_in/groups)·k_h·k_w, linear in·out, every
 * other op 0.
 */
public record ModelSize(List<LayerSize> layers, long totalParams, long totalMacs) {
    public ModelSize {
        layers = List.copyOf(layers);
    }

    /** Sizes of every node of {@code net} for one image of the network's declared input shape. */
    public static ModelSize of(Network net) {
        Map<String, int[]> shapes = net.shapes(1);
        List<LayerSize> layers = new ArrayList<>();
        long params = 0;
        long macs = 0;
        for (Node n : net.nodes()) {
            List<int[]> ins = n.inputs().stream().map(shapes::get).toList();
            int[] out = shapes.get(n.name());
            long p = n.op().params();
            long m = n.op().macs(ins, out);
            int inC = ins.get(0).length > 1 ? ins.get(0)[1] : 0;
            int outC = out.length > 1 ? out[1] : 0;
            layers.add(new LayerSize(n.name(), n.op().onnxType(), inC, outC, p, m));
            params += p;
            macs += m;
        }
        return new ModelSize(layers, params, macs);
    }

    /** The contract line printed by {@code thinet4j info}: {@code total params=<int> macs=<int>}. */
    public String totalLine() {
        return "total params=" + totalParams + " macs=" + totalMacs;
    }
}
