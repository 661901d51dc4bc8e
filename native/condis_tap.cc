// condis-tap native helper: TAP devices (open + TUNSETIFF), a uv_poll reader
// that drains a non-blocking fd in batches, plain write(), a way to run a
// few synchronous calls inside another network namespace (setns on the
// calling thread, then back), and the AAL5 CRC-32 for long SDUs
// (src/wire/crc32-native.ts). Linux only.
#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// The AAL5 CRC-32 (ITU-T I.363.5; src/wire/crc32.ts has the JavaScript one and
// says what it is): generator 0x04C11DB7, most significant bit first.
// crc_table[0][i] is the register contribution of a top octet i after 8 shifts;
// crc_table[k][i] that of the same octet followed by k zero octets: sixteen
// tables consume sixteen octets per step.
constexpr uint32_t kAal5Poly = 0x04c11db7u;
uint32_t crc_table[16][256];
// x^192, x^128 (and x^576, x^512 for four blocks at a time) mod P, the folding constants of CrcUpdateClmul (below), and whether the CPU has it
uint64_t k_x192 = 0, k_x128 = 0, k_x576 = 0, k_x512 = 0;
bool have_clmul = false;

// x^n mod P
uint32_t XPowMod(int n) {
  uint32_t r = 1;
  while (n--) r = (r & 0x80000000u) ? (r << 1) ^ kAal5Poly : r << 1;
  return r;
}

void InitCrcTables() {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i << 24;
    for (int k = 0; k < 8; k++) c = (c & 0x80000000u) ? (c << 1) ^ kAal5Poly : c << 1;
    crc_table[0][i] = c;
  }
  for (int k = 1; k < 16; k++)
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t p = crc_table[k - 1][i];
      crc_table[k][i] = (p << 8) ^ crc_table[0][p >> 24];
    }
#if defined(__x86_64__)
  k_x192 = XPowMod(192);
  k_x128 = XPowMod(128);
  k_x576 = XPowMod(576);
  k_x512 = XPowMod(512);
  have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
#endif
}

inline uint32_t Be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) | (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

// the register (not complemented) continued over p[0, n)
uint32_t CrcUpdate(uint32_t c, const uint8_t* p, size_t n) {
  const uint32_t(*t)[256] = crc_table;
  while (n >= 16) {
    uint32_t a = c ^ Be32(p);
    uint32_t b = Be32(p + 4);
    uint32_t d = Be32(p + 8);
    uint32_t e = Be32(p + 12);
    c = t[15][a >> 24] ^ t[14][(a >> 16) & 0xff] ^ t[13][(a >> 8) & 0xff] ^ t[12][a & 0xff] ^
        t[11][b >> 24] ^ t[10][(b >> 16) & 0xff] ^ t[9][(b >> 8) & 0xff] ^ t[8][b & 0xff] ^
        t[7][d >> 24] ^ t[6][(d >> 16) & 0xff] ^ t[5][(d >> 8) & 0xff] ^ t[4][d & 0xff] ^
        t[3][e >> 24] ^ t[2][(e >> 16) & 0xff] ^ t[1][(e >> 8) & 0xff] ^ t[0][e & 0xff];
    p += 16;
    n -= 16;
  }
  while (n--) c = (c << 8) ^ t[0][((c >> 24) ^ *p++) & 0xff];
  return c;
}

#if defined(__x86_64__)
// With carry-less multiplication (PCLMULQDQ), sixteen octets per step. The octets
// read big-endian are the coefficients of a polynomial D, first bit highest; the
// register r continued over them is ((r * x^(8n-32) + D) * x^32) mod P, where
// r * x^(8n-32) is r XORed into the first four octets. An accumulator A of 128
// bits is folded over each further 16-octet block B:
//   A * x^128 + B  ==  hi64(A) * (x^192 mod P) + lo64(A) * (x^128 mod P) + B   (mod P)
// (each product has fewer than 96 bits), which keeps A congruent to the octets
// consumed so far. The register for those octets is (A * x^32) mod P: the table
// loop run from 0 over A's sixteen octets; the tail (fewer than 16) follows.
__attribute__((target("pclmul,ssse3"))) inline __m128i Fold(__m128i a, __m128i k, __m128i b) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x11), _mm_clmulepi64_si128(a, k, 0x00)), b);
}

// sixteen octets, the first one the most significant
__attribute__((target("pclmul,ssse3"))) inline __m128i Load(const uint8_t* q) {
  const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)), reverse);
}

__attribute__((target("pclmul,ssse3"))) uint32_t CrcUpdateClmul(uint32_t c, const uint8_t* p, size_t n) {
  // n >= 32
  const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(k_x192), static_cast<long long>(k_x128));
  // bits 127..96 of A are the first four octets: XOR the register in there
  __m128i a = _mm_xor_si128(Load(p), _mm_set_epi32(static_cast<int>(c), 0, 0, 0));
  if (n >= 128) {
    // four accumulators, each folded over every fourth block (x^512 apart), then folded into one
    const __m128i k512 = _mm_set_epi64x(static_cast<long long>(k_x576), static_cast<long long>(k_x512));
    __m128i a1 = Load(p + 16), a2 = Load(p + 32), a3 = Load(p + 48);
    p += 64;
    n -= 64;
    while (n >= 64) {
      a = Fold(a, k512, Load(p));
      a1 = Fold(a1, k512, Load(p + 16));
      a2 = Fold(a2, k512, Load(p + 32));
      a3 = Fold(a3, k512, Load(p + 48));
      p += 64;
      n -= 64;
    }
    a = Fold(Fold(Fold(a, k128, a1), k128, a2), k128, a3);
  } else {
    p += 16;
    n -= 16;
  }
  while (n >= 16) {
    a = Fold(a, k128, Load(p));
    p += 16;
    n -= 16;
  }
  alignas(16) uint8_t acc[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(acc), _mm_shuffle_epi8(a, reverse));
  uint32_t r = 0;
  for (int i = 0; i < 16; i++) r = (r << 8) ^ crc_table[0][((r >> 24) ^ acc[i]) & 0xff];
  while (n--) r = (r << 8) ^ crc_table[0][((r >> 24) ^ *p++) & 0xff];
  return r;
}
#endif

uint32_t CrcUpdateBest(uint32_t c, const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (have_clmul && n >= 32) return CrcUpdateClmul(c, p, n);
#endif
  return CrcUpdate(c, p, n);
}

// crc32Aal5Update(reg, bytes: Uint8Array, start, end) -> the register continued over bytes[start, end)
// (bounds clamped to the array), as src/wire/crc32.ts's crc32Aal5Update; crc32Aal5UpdateTables is
// the same without PCLMULQDQ (the tests compare both with the JavaScript loop). The plain C API: this is
// called per frame, and node-addon-api's wrappers would add to what the call costs.
napi_value CrcAal5Update(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_value out;
  void* tables_only = nullptr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, &tables_only) != napi_ok || argc < 4) {
    napi_throw_type_error(env, nullptr, "crc32Aal5Update(reg, bytes, start, end)");
    return nullptr;
  }
  uint32_t reg = 0, start = 0, end = 0;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_value_uint32(env, argv[0], &reg) != napi_ok || napi_get_typedarray_info(env, argv[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array || napi_get_value_uint32(env, argv[2], &start) != napi_ok || napi_get_value_uint32(env, argv[3], &end) != napi_ok) {
    napi_throw_type_error(env, nullptr, "crc32Aal5Update(reg: number, bytes: Uint8Array, start: number, end: number)");
    return nullptr;
  }
  if (end > length) end = static_cast<uint32_t>(length);
  if (start > end) start = end;
  const uint8_t* p = static_cast<const uint8_t*>(data) + start;
  uint32_t c = tables_only ? CrcUpdate(reg, p, end - start) : CrcUpdateBest(reg, p, end - start);
  napi_create_uint32(env, c, &out);
  return out;
}

Napi::Value ThrowErrno(Napi::Env env, const char* syscall, int err, const std::string& what) {
  std::string msg = what + ": " + syscall + " failed: " + strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  const char* name = nullptr;
  switch (err) {
    case EBUSY: name = "EBUSY"; break;
    case EPERM: name = "EPERM"; break;
    case EACCES: name = "EACCES"; break;
    case EINVAL: name = "EINVAL"; break;
    case ENOENT: name = "ENOENT"; break;
    case ENODEV: name = "ENODEV"; break;
    case EEXIST: name = "EEXIST"; break;
    default: break;
  }
  e.Set("code", Napi::String::New(env, name ? name : ("E" + std::to_string(err))));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// netnsEnter(path) -> fd of the namespace the thread was in (pass it to netnsLeave)
Napi::Value NetnsEnter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return ThrowErrno(env, "open", errno, "/proc/thread-self/ns/net");
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(self);
    return ThrowErrno(env, "open", e, path);
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int e = errno;
    close(target);
    close(self);
    return ThrowErrno(env, "setns", e, path);
  }
  close(target);
  return Napi::Number::New(env, self);
}

Napi::Value NetnsLeave(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int self = info[0].As<Napi::Number>().Int32Value();
  int rc = setns(self, CLONE_NEWNET);
  int e = errno;
  close(self);
  if (rc < 0) return ThrowErrno(env, "setns", e, "back to the original namespace");
  return env.Undefined();
}

// tunOpen(name, flags) -> { fd, name }; fd is O_NONBLOCK | O_CLOEXEC
Napi::Value TunOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int flags = info[1].As<Napi::Number>().Int32Value();
  if (name.size() >= IFNAMSIZ) {
    Napi::Error::New(env, "device name '" + name + "' is longer than 15 characters").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, "open", errno, "/dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_flags = static_cast<short>(flags);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return ThrowErrno(env, "ioctl(TUNSETIFF)", e, name);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("name", Napi::String::New(env, ifr.ifr_name));
  return out;
}

// write(fd, buffer) -> bytes written, or -errno
Napi::Value Write(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  ssize_t n;
  do n = write(fd, buf.Data(), buf.Length()); while (n < 0 && errno == EINTR);
  return Napi::Number::New(info.Env(), n < 0 ? -errno : static_cast<double>(n));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int rc = close(fd);
  return Napi::Number::New(info.Env(), rc < 0 ? -errno : 0);
}

// Reader(fd, maxBatch, slabSize, meta, onFrames(slab, count), onError(-errno)); stop()
//
// Frames are copied into a slab: a Buffer of slabSize octets (or of the frame's size, when that
// is larger) that successive frames fill in turn and that is never written again where it has
// been filled, so every frame handed to JS stays the receiver's. One call of onFrames delivers
// `count` frames of one slab, meta (a Uint32Array of 2 * maxBatch) holding each one's offset
// and length; JS takes views of the slab. A slab is one allocation for many frames: a frame of
// its own each (a malloc, a backing store and its finalisation per frame) was the most costly
// part of receiving a small frame.
class Reader : public Napi::ObjectWrap<Reader> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Reader", {InstanceMethod("stop", &Reader::Stop)});
  }

  Reader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Reader>(info) {
    Napi::Env env = info.Env();
    fd_ = info[0].As<Napi::Number>().Int32Value();
    max_batch_ = info[1].As<Napi::Number>().Int32Value();
    if (max_batch_ < 1) max_batch_ = 1;
    int64_t slab = info[2].As<Napi::Number>().Int64Value();
    slab_min_ = slab < 2048 ? 2048 : static_cast<size_t>(slab);
    if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
        info[3].As<Napi::Uint32Array>().ElementLength() < 2 * static_cast<size_t>(max_batch_)) {
      Napi::TypeError::New(env, "Reader: meta must be a Uint32Array of at least 2 * maxBatch elements").ThrowAsJavaScriptException();
      return;
    }
    meta_ref_ = Napi::Persistent(info[3].As<Napi::Object>());
    meta_ = info[3].As<Napi::Uint32Array>().Data();
    on_frames_ = Napi::Persistent(info[4].As<Napi::Function>());
    on_error_ = Napi::Persistent(info[5].As<Napi::Function>());
    napi_get_uv_event_loop(env, &loop_);
    poll_ = new uv_poll_t;
    poll_->data = this;
    int rc = uv_poll_init(loop_, poll_, fd_);
    if (rc < 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return;
    }
    uv_poll_start(poll_, UV_READABLE, OnPoll);
    Ref();  // alive while polling
  }

 private:
  static void OnPoll(uv_poll_t* h, int status, int events) {
    Reader* self = static_cast<Reader*>(h->data);
    if (self) self->Drain(status);
  }

  void Drain(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status < 0) {
      on_error_.MakeCallback(Value(), {Napi::Number::New(env, status)});
      Surface(env);
      return;
    }
    int count = 0;
    int err = 0;
    for (int i = 0; i < max_batch_; i++) {
      ssize_t n = read(fd_, scratch_, sizeof scratch_);
      if (n < 0) {
        if (errno == EINTR) { i--; continue; }
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
      size_t len = static_cast<size_t>(n);
      if (slab_.IsEmpty() || slab_size_ - slab_off_ < len) {
        // the frames so far are in the old slab: they go first (JS may stop us meanwhile)
        if (count > 0) {
          if (Deliver(env, count) || !poll_) return;
          count = 0;
        }
        size_t size = len > slab_min_ ? len : slab_min_;
        Napi::Buffer<uint8_t> fresh = Napi::Buffer<uint8_t>::New(env, size);
        slab_ = Napi::Persistent(fresh);
        slab_data_ = fresh.Data();
        slab_size_ = size;
        slab_off_ = 0;
      }
      memcpy(slab_data_ + slab_off_, scratch_, len);
      meta_[2 * count] = static_cast<uint32_t>(slab_off_);
      meta_[2 * count + 1] = static_cast<uint32_t>(len);
      count++;
      slab_off_ += len;
    }
    if (count > 0 && (Deliver(env, count) || !poll_)) return;
    if (err && poll_) {
      on_error_.MakeCallback(Value(), {Napi::Number::New(env, -err)});
      Surface(env);
    }
  }

  /** onFrames(slab, count); true when it threw (the exception is Node's now) */
  bool Deliver(Napi::Env env, int count) {
    on_frames_.MakeCallback(Value(), {slab_.Value(), Napi::Number::New(env, count)});
    return Surface(env);
  }

  public:
  // A callback that threw must not vanish: hand it to Node as an uncaught exception.
  static bool Surface(Napi::Env env) {
    if (!env.IsExceptionPending()) return false;
    Napi::Error e = env.GetAndClearPendingException();
    napi_fatal_exception(env, e.Value());
    return true;
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (poll_) {
      poll_->data = nullptr;
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
      Unref();
    }
    return info.Env().Undefined();
  }

  int fd_ = -1;
  int max_batch_ = 64;
  uv_loop_t* loop_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference on_frames_;
  Napi::FunctionReference on_error_;
  Napi::ObjectReference meta_ref_;
  uint32_t* meta_ = nullptr;
  Napi::Reference<Napi::Buffer<uint8_t>> slab_;
  uint8_t* slab_data_ = nullptr;
  size_t slab_size_ = 0;
  size_t slab_off_ = 0;
  size_t slab_min_ = 16384;
  uint8_t scratch_[65536];
};


// Writer(fd, maxQueuedOctets); write(frame, mayQueue) -> octets, or -errno; failed() -> [frames, octets]; stop()
//
// Sends frames on fd in order, each with write(2). A frame is written there and then on the
// calling (JavaScript) thread unless `mayQueue` is set (the caller is in a burst) or earlier
// frames are still queued; then it is copied onto a queue that a thread of the writer's own
// writes out, so a burst's system calls (which on a TAP carry the frame through the bridge to
// its reader) run beside the JavaScript instead of in it. A lone frame never waits for a thread
// to wake. A frame that would take the queue past maxQueuedOctets is refused (-ENOBUFS): the
// caller counts it as a send error. failed() counts the queued frames whose write(2) failed, and their octets.
// stop() writes what is queued, then ends the thread; the fd stays open (the caller closes it).
// The thread is named condis-send.
class Writer : public Napi::ObjectWrap<Writer> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Writer", {InstanceMethod("write", &Writer::Write), InstanceMethod("failed", &Writer::Failed),
                                       InstanceMethod("stop", &Writer::Stop)});
  }

  Writer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Writer>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    int64_t cap = info[1].As<Napi::Number>().Int64Value();
    max_octets_ = cap < 65536 ? 65536 : static_cast<size_t>(cap);
    thread_ = std::thread([this] { Run(); });
  }

  ~Writer() { Join(); }

 private:
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
    bool may_queue = info[1].ToBoolean().Value();
    size_t len = buf.Length();
    std::unique_lock<std::mutex> lk(mu_);
    if (stopping_) return Napi::Number::New(env, -EBADF);
    if (!may_queue && lens_.empty() && !busy_) {
      // nothing of ours is in flight: writing it here keeps the order
      lk.unlock();
      ssize_t n;
      do n = write(fd_, buf.Data(), len); while (n < 0 && errno == EINTR);
      return Napi::Number::New(env, n < 0 ? -errno : static_cast<double>(n));
    }
    if (data_.size() + len > max_octets_) return Napi::Number::New(env, -ENOBUFS);
    data_.insert(data_.end(), buf.Data(), buf.Data() + len);
    lens_.push_back(static_cast<uint32_t>(len));
    if (!busy_) wake_.notify_one();
    return Napi::Number::New(env, static_cast<double>(len));
  }

  Napi::Value Failed(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lk(mu_);
    Napi::Array out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(failed_)));
    out.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(failed_octets_)));
    return out;
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Join();
    return info.Env().Undefined();
  }

  void Join() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
      wake_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

  // the thread: take the whole queue, write it out without the lock, again until stopped and empty
  void Run() {
    pthread_setname_np(pthread_self(), "condis-send");  // as `top -H` and /proc/PID/task/*/comm show it
    std::vector<uint8_t> data;
    std::vector<uint32_t> lens;
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      wake_.wait(lk, [this] { return !lens_.empty() || stopping_; });
      if (lens_.empty()) return;
      data.swap(data_);
      lens.swap(lens_);
      busy_ = true;
      lk.unlock();
      size_t off = 0;
      uint64_t failed = 0, failed_octets = 0;
      for (uint32_t len : lens) {
        ssize_t n;
        do n = write(fd_, data.data() + off, len); while (n < 0 && errno == EINTR);
        if (n < 0) {
          failed++;
          failed_octets += len;
        }
        off += len;
      }
      data.clear();
      lens.clear();
      lk.lock();
      failed_ += failed;
      failed_octets_ += failed_octets;
      busy_ = false;
    }
  }

  int fd_ = -1;
  size_t max_octets_ = 1 << 20;
  std::mutex mu_;
  std::condition_variable wake_;
  // queued frames, back to back, and their lengths; busy_ while the thread writes a batch
  std::vector<uint8_t> data_;
  std::vector<uint32_t> lens_;
  bool busy_ = false;
  bool stopping_ = false;
  uint64_t failed_ = 0;
  uint64_t failed_octets_ = 0;
  std::thread thread_;
};


// PcapReader(device, filter, maxBatch, onFrames(frames: Buffer[]), onError(errno, message, fatal))
// libpcap on a NIC: immediate mode, non-blocking, uv_poll on its selectable fd.
// Unlike npm `cap`, a socket error (ENETDOWN when the link goes down or the
// device goes away) is reported to JS and polling resumes; it never aborts.
class PcapReader : public Napi::ObjectWrap<PcapReader> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PcapReader", {InstanceMethod("send", &PcapReader::Send), InstanceMethod("close", &PcapReader::Close)});
  }

  PcapReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PcapReader>(info) {
    Napi::Env env = info.Env();
    std::string device = info[0].As<Napi::String>().Utf8Value();
    std::string filter = info[1].As<Napi::String>().Utf8Value();
    max_batch_ = info[2].As<Napi::Number>().Int32Value();
    if (max_batch_ < 1) max_batch_ = 1;
    on_frames_ = Napi::Persistent(info[3].As<Napi::Function>());
    on_error_ = Napi::Persistent(info[4].As<Napi::Function>());
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    pcap_ = pcap_create(device.c_str(), errbuf);
    if (!pcap_) { Fail(env, std::string("pcap_create: ") + errbuf); return; }
    // Ring slots are as large as the snap length: 65535 octets gave a 4 MiB ring 64 slots, and a
    // burst of more frames than that, while JavaScript was busy, was dropped in the kernel. The
    // device's MTU and an Ethernet header with a VLAN tag cover every frame it can receive here (no
    // GRO: the EtherTypes we capture have no receive offload), which at 1500 gives some 2,000 slots.
    pcap_set_snaplen(pcap_, SnapLength(device));
    pcap_set_promisc(pcap_, 0);
    pcap_set_immediate_mode(pcap_, 1);
    pcap_set_buffer_size(pcap_, 4 << 20);
    int rc = pcap_activate(pcap_);
    if (rc < 0) { Fail(env, std::string("pcap_activate: ") + pcap_statustostr(rc) + (rc == PCAP_ERROR ? std::string(": ") + pcap_geterr(pcap_) : std::string())); return; }
    if (pcap_datalink(pcap_) != DLT_EN10MB) { Fail(env, std::string("link type is ") + (pcap_datalink_val_to_name(pcap_datalink(pcap_)) ?: "unknown") + ", not Ethernet"); return; }
    struct bpf_program prog;
    if (pcap_compile(pcap_, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) < 0) { Fail(env, std::string("pcap_compile: ") + pcap_geterr(pcap_)); return; }
    rc = pcap_setfilter(pcap_, &prog);
    pcap_freecode(&prog);
    if (rc < 0) { Fail(env, std::string("pcap_setfilter: ") + pcap_geterr(pcap_)); return; }
    if (pcap_setnonblock(pcap_, 1, errbuf) < 0) { Fail(env, std::string("pcap_setnonblock: ") + errbuf); return; }
    fd_ = pcap_get_selectable_fd(pcap_);
    if (fd_ < 0) { Fail(env, "no selectable fd"); return; }
    napi_get_uv_event_loop(env, &loop_);
    poll_ = new uv_poll_t;
    poll_->data = this;
    rc = uv_poll_init(loop_, poll_, fd_);
    if (rc < 0) {
      delete poll_;
      poll_ = nullptr;
      { Fail(env, std::string("uv_poll_init: ") + uv_strerror(rc)); return; }
    }
    uv_poll_start(poll_, UV_READABLE, OnPoll);
    Ref();
  }

  ~PcapReader() override { Release(); }

 private:
  void Fail(Napi::Env env, const std::string& msg) {
    Release();
    Napi::Error::New(env, msg).ThrowAsJavaScriptException();
  }

  void Release() {
    if (poll_) {
      poll_->data = nullptr;
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
      Unref();
    }
    if (pcap_) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
  }

  static void OnPoll(uv_poll_t* h, int status, int events) {
    PcapReader* self = static_cast<PcapReader*>(h->data);
    if (self) self->Drain(status);
  }

  /** the device's MTU plus an Ethernet header and a VLAN tag; 65535 when the MTU cannot be read */
  static int SnapLength(const std::string& device) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, device.c_str(), IFNAMSIZ - 1);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return 65535;
    int rc = ioctl(s, SIOCGIFMTU, &ifr);
    close(s);
    return rc < 0 || ifr.ifr_mtu <= 0 ? 65535 : ifr.ifr_mtu + 14 + 4;
  }

  static void OnPacket(u_char* user, const struct pcap_pkthdr* hdr, const u_char* bytes) {
    PcapReader* self = reinterpret_cast<PcapReader*>(user);
    self->batch_.push_back(Napi::Buffer<uint8_t>::Copy(self->Env(), bytes, hdr->caplen));
  }

  void Drain(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status < 0) {
      // POLLERR: read and clear the socket error (ENETDOWN on link down or removal), poll again
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (poll_) uv_poll_start(poll_, UV_READABLE, OnPoll);
      on_error_.MakeCallback(Value(), {Napi::Number::New(env, err), Napi::String::New(env, err ? strerror(err) : uv_strerror(status)), Napi::Boolean::New(env, false)});
      Reader::Surface(env);
      return;
    }
    if (!pcap_) return;
    batch_.clear();
    int n = pcap_dispatch(pcap_, max_batch_, OnPacket, reinterpret_cast<u_char*>(this));
    std::string perr = n == PCAP_ERROR ? pcap_geterr(pcap_) : "";
    if (!batch_.empty()) {
      Napi::Array arr = Napi::Array::New(env, batch_.size());
      for (size_t i = 0; i < batch_.size(); i++) arr.Set(static_cast<uint32_t>(i), batch_[i]);
      batch_.clear();
      on_frames_.MakeCallback(Value(), {arr});
      if (Reader::Surface(env)) return;
    }
    if (n == PCAP_ERROR && poll_) {
      on_error_.MakeCallback(Value(), {Napi::Number::New(env, 0), Napi::String::New(env, "pcap_dispatch: " + perr), Napi::Boolean::New(env, false)});
      Reader::Surface(env);
    }
  }

  // send(buffer) -> bytes written, or -1 (with the reason in the second element)
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!pcap_) return Napi::Number::New(env, -1);
    Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
    int n = pcap_inject(pcap_, buf.Data(), buf.Length());
    return Napi::Number::New(env, n);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  pcap_t* pcap_ = nullptr;
  int fd_ = -1;
  int max_batch_ = 64;
  uv_loop_t* loop_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  std::vector<Napi::Value> batch_;
  Napi::FunctionReference on_frames_;
  Napi::FunctionReference on_error_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("netnsEnter", Napi::Function::New(env, NetnsEnter));
  exports.Set("netnsLeave", Napi::Function::New(env, NetnsLeave));
  exports.Set("tunOpen", Napi::Function::New(env, TunOpen));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("Reader", Reader::Init(env));
  exports.Set("Writer", Writer::Init(env));
  exports.Set("PcapReader", PcapReader::Init(env));
  InitCrcTables();
  napi_value crc;
  napi_create_function(env, "crc32Aal5Update", NAPI_AUTO_LENGTH, CrcAal5Update, nullptr, &crc);
  exports.Set("crc32Aal5Update", Napi::Value(env, crc));
  static int tables_only = 1;
  napi_create_function(env, "crc32Aal5UpdateTables", NAPI_AUTO_LENGTH, CrcAal5Update, &tables_only, &crc);
  exports.Set("crc32Aal5UpdateTables", Napi::Value(env, crc));
  exports.Set("IFF_TAP", Napi::Number::New(env, IFF_TAP));
  exports.Set("IFF_NO_PI", Napi::Number::New(env, IFF_NO_PI));
  exports.Set("IFF_TUN_EXCL", Napi::Number::New(env, IFF_TUN_EXCL));
  return exports;
}

}  // namespace

NODE_API_MODULE(condis_tap, Init)
