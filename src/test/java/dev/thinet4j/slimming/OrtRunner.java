package dev.thinet4j.slimming;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/** ONNX Runtime as an independent engine for the written models (plain kernels, one thread). */
final class OrtRunner {
    private OrtRunner() {
    }

    /** The first output of the model file for an NCHW float input, flattened. */
    static float[] run(Path model, String inputName, float[] x, long[] shape) throws Exception {
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
