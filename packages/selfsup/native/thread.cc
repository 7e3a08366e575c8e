// Scheduling of the calling thread. A loader worker that asks for SCHED_IDLE (Linux) runs only on
// cores the training threads leave free: on a machine with as many cores as intra-op threads it fills
// their idle gaps instead of preempting one of them mid-operator, which stalls the other at the
// operator's barrier. When the training step waits for a batch, its threads sleep and the worker
// gets the whole core, so the pipeline can never starve for more than it takes to make one batch.
#include "common.h"

#if defined(__linux__)
#include <sched.h>
#endif

namespace selfsup {

Napi::Value SetThreadIdlePriority(const Napi::CallbackInfo& info) {
#if defined(__linux__) && defined(SCHED_IDLE)
  sched_param p{};
  p.sched_priority = 0;
  // pid 0 on Linux: the calling thread (scheduling policies are per thread there).
  return Napi::Boolean::New(info.Env(), sched_setscheduler(0, SCHED_IDLE, &p) == 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace selfsup
