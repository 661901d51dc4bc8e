// condis-tap native helper: TAP devices (open + TUNSETIFF), a uv_poll reader
// that drains a non-blocking fd in batches, plain write(), and a way to run a
// few synchronous calls inside another network namespace (setns on the
// calling thread, then back). Linux only.
#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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
  uint8_t scratch_[65536];
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
    pcap_set_snaplen(pcap_, 65535);
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
  exports.Set("PcapReader", PcapReader::Init(env));
  exports.Set("IFF_TAP", Napi::Number::New(env, IFF_TAP));
  exports.Set("IFF_NO_PI", Napi::Number::New(env, IFF_NO_PI));
  exports.Set("IFF_TUN_EXCL", Napi::Number::New(env, IFF_TUN_EXCL));
  return exports;
}

}  // namespace

NODE_API_MODULE(condis_tap, Init)
