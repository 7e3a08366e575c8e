{
  "targets": [
    {
      "target_name": "selfsup_torch",
      "sources": [
        "native/tensors.cc",
        "native/dispatch.cc",
        "native/autograd.cc",
        "native/runtime.cc",
        "native/distributed.cc",
        "native/accel.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.mjs include)"
      ],
      # SWALLOW_UNTHROWABLE: when a loader worker thread is terminated mid-call, napi_throw fails;
      # without it node-addon-api throws a C++ exception nobody catches (std::terminate, SIGABRT).
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "<!@(node scripts/libtorch.mjs cflags)"],
      "libraries": ["<!@(node scripts/libtorch.mjs libs)"]
    }
  ]
}
