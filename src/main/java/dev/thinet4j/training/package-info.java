/**
 * Training and fine-tuning of {@link dev.thinet4j.model.Network}s on ND4J's native CPU kernels.
 *
 * <p>{@link dev.thinet4j.training.TrainableNetwork} holds a network's parameters as ND4J arrays and runs the
 * forward pass (TRAIN or EVAL {@link dev.thinet4j.training.ForwardMode}) and the backward pass node by node
 * in reverse topological order, on libnd4j's backward ops ({@code conv2d_bp}, {@code depthwise_conv2d_bp},
 * {@code maxpool2d_bp}, {@code avgpool2d_bp}, {@code relu_bp}, {@code lrelu_bp}) and vectorised ND4J
 * arithmetic (BatchNorm, LayerNorm, Linear via gemm (also over the last axis of rank &gt; 2 inputs), Softmax,
 * Sigmoid, HardSigmoid, HardSwish, Erf, Sqrt, Clip, Add, broadcasting Add/Sub/Mul/Div/Pow of two activations
 * or of an activation and a frozen constant, Concat, GlobalAveragePool, ReduceMean, Flatten, Reshape,
 * Transpose, Slice, ChannelShuffle, nearest Resize, inverted Dropout at Identity nodes). Every op of
 * {@link dev.thinet4j.model.Op} is supported, on activations of any rank ≥ 2 where the op allows it, in
 * float32 or float64 ({@link dev.thinet4j.training.Precision}); each op's javadoc gives its forward and
 * gradient formulas. The loss is on one output (the first by default); other outputs are not trained.
 * {@link dev.thinet4j.training.TrainableNetwork#toNetwork()} writes the trained values back.
 *
 * <p>{@link dev.thinet4j.training.Trainer} runs mini-batch training with softmax cross-entropy
 * ({@link dev.thinet4j.training.SoftmaxCrossEntropy}), an {@link dev.thinet4j.training.Optimizer} (SGD with
 * momentum/Nesterov, Adam, AdamW; weight decay; network slimming's L1 on BatchNorm scales), a
 * {@link dev.thinet4j.training.LrSchedule}, seeded shuffling, validation, early stopping and a
 * {@link dev.thinet4j.training.TrainingListener}; all configured by an immutable
 * {@link dev.thinet4j.training.TrainingConfig}. {@link dev.thinet4j.training.FineTuningHook} plugs it into
 * the pruner as its {@link dev.thinet4j.pruner.FineTuner}.
 *
 * <p>Threads: like the inference engine, the library never sets ND4J's thread count; the native ops use
 * {@code OMP_NUM_THREADS} cores. Progress is logged through SLF4J (INFO per epoch, DEBUG per iteration).
 */
package dev.thinet4j.training;
