// Test fixture: a worker module that throws while loading (as a broken build or a missing
// dependency would), to check that ReducerPool rejects the waiting batch instead of hanging.
throw new Error('fault injected: worker module failed to load');
