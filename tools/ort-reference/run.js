// Runs one ONNX model in ONNX Runtime (onnxruntime-node, CPU) for ort_reference.py.
//
// usage: node run.js NODE_MODULES_DIR < request.json > reply.json
//
// NODE_MODULES_DIR is the folder that holds onnxruntime-node (it is not installed next to this
// script, so Node's own module lookup would not find it).
//
// request: {"model": PATH, "options": {ORT session options},
//           "inputs": [{"name", "type", "dims", "data"}...]}
// reply:   {"outputs": [{"name", "type", "dims", "data"}...]}, every output of the model
// "type" is an ORT tensor type ('float32', 'int64', 'bool', ...), "dims" a list of integers,
// "data" the tensor's little-endian bytes in base64; for 'string' tensors "data" is a list of
// base64 strings, one per element, since strings have no fixed-size raw form.
'use strict';

const fs = require('fs');
const path = require('path');

const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

function fail(message) {
  process.stderr.write('run.js: ' + message + '\n');
  process.exit(2);
}

function toOrtTensor(ort, t) {
  if (t.type === 'string') {
    const strings = t.data.map((s) => Buffer.from(s, 'base64').toString('utf8'));
    return new ort.Tensor('string', strings, t.dims);
  }
  const Ctor = TYPED_ARRAYS[t.type];
  if (!Ctor) fail(`input '${t.name}': no typed array for ORT type '${t.type}'`);
  const bytes = Buffer.from(t.data, 'base64');
  // A Buffer may start at any offset of Node's shared pool; typed arrays need their element
  // alignment, so copy into a buffer of its own.
  const own = new ArrayBuffer(bytes.length);
  new Uint8Array(own).set(bytes);
  return new ort.Tensor(t.type, new Ctor(own), t.dims);
}

function fromOrtTensor(name, tensor) {
  const out = {name, type: tensor.type, dims: Array.from(tensor.dims, Number)};
  if (tensor.type === 'string') {
    out.data = tensor.data.map((s) => Buffer.from(s, 'utf8').toString('base64'));
  } else {
    const d = tensor.data;
    out.data = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
  }
  return out;
}

async function main() {
  const modulesDir = process.argv[2];
  if (!modulesDir) fail('usage: node run.js NODE_MODULES_DIR < request.json');
  let ort;
  try {
    ort = require(path.resolve(modulesDir, 'onnxruntime-node'));
  } catch (e) {
    fail(`cannot load onnxruntime-node from ${modulesDir}: ${e.message}`);
  }
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  const session = await ort.InferenceSession.create(request.model, request.options || {});
  const feeds = {};
  for (const t of request.inputs) feeds[t.name] = toOrtTensor(ort, t);
  const results = await session.run(feeds);
  const outputs = session.outputNames.map((name) => fromOrtTensor(name, results[name]));
  process.stdout.write(JSON.stringify({outputs}));
  if (session.release) await session.release();
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));
