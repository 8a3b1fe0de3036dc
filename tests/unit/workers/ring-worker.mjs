// The ring producer/consumer worker shared with the benchmark.
import "../../../bench/workers/ring-worker.mjs";
