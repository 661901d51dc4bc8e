// condis-tap native helper: TAP devices (open + TUNSETIFF), a uv_poll reader
// that drains a non-blocking fd in batches, plain write(), and a way to run a
// few synchronous calls inside another network namespace (setns on the
// calling thread, then back). Linux only.
#include <napi.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

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

// Reader(fd, maxBatch, onFrames(frames: Buffer[]), onError(errno)); stop()
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
    on_frames_ = Napi::Persistent(info[2].As<Napi::Function>());
    on_error_ = Napi::Persistent(info[3].As<Napi::Function>());
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
    std::vector<Napi::Value> frames;
    int err = 0;
    for (int i = 0; i < max_batch_; i++) {
      ssize_t n = read(fd_, scratch_, sizeof scratch_);
      if (n < 0) {
        if (errno == EINTR) { i--; continue; }
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
      frames.push_back(Napi::Buffer<uint8_t>::Copy(env, scratch_, static_cast<size_t>(n)));
    }
    if (!frames.empty()) {
      Napi::Array arr = Napi::Array::New(env, frames.size());
      for (size_t i = 0; i < frames.size(); i++) arr.Set(static_cast<uint32_t>(i), frames[i]);
      on_frames_.MakeCallback(Value(), {arr});
      if (Surface(env)) return;
    }
    if (err && poll_) {
      on_error_.MakeCallback(Value(), {Napi::Number::New(env, -err)});
      Surface(env);
    }
  }

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
  uint8_t scratch_[65536];
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("netnsEnter", Napi::Function::New(env, NetnsEnter));
  exports.Set("netnsLeave", Napi::Function::New(env, NetnsLeave));
  exports.Set("tunOpen", Napi::Function::New(env, TunOpen));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("Reader", Reader::Init(env));
  exports.Set("IFF_TAP", Napi::Number::New(env, IFF_TAP));
  exports.Set("IFF_NO_PI", Napi::Number::New(env, IFF_NO_PI));
  exports.Set("IFF_TUN_EXCL", Napi::Number::New(env, IFF_TUN_EXCL));
  return exports;
}

}  // namespace

NODE_API_MODULE(condis_tap, Init)
