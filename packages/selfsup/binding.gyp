{
  "targets": [
    {
      "target_name": "selfsup_pixels",
      "sources": [
        "native/addon.cc",
        "native/jpeg.cc",
        "native/resample.cc",
        "native/colour.cc",
        "native/blur.cc",
        "native/thread.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # SWALLOW_UNTHROWABLE: when a loader worker thread is terminated mid-call, napi_throw fails;
      # without it node-addon-api throws a C++ exception nobody catches (std::terminate, SIGABRT).
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-ftree-vectorize", "-fvect-cost-model=dynamic", "-ffp-contract=off", "-Wno-psabi"],
      "libraries": ["-ljpeg"]
    }
  ]
}
