// libsrtp 3.0-alpha API on top of Debian's libsrtp 2.5 (libsrtp2-dev).
//
// mediasoup 3.15.8 is written against versatica's libsrtp "3.0-alpha" fork.
// That API differs from libsrtp 2.5 only in:
//   - srtp_protect / srtp_unprotect / srtp_protect_rtcp / srtp_unprotect_rtcp
//     take the packet length as `size_t*` instead of `int*`;
//   - srtp_remove_stream() is named srtp_stream_remove().
// This header is force-included (`-include`) into every C++ translation unit
// that uses the libsrtp2 stub dependency, and adds inline C++ overloads that
// forward to the 2.5 functions. The worker sources stay untouched.
#ifndef MS_LAB_SRTP3_COMPAT_HPP
#define MS_LAB_SRTP3_COMPAT_HPP

#ifdef __cplusplus

#include <climits>
#include <cstddef>
#include <cstdint>
#include <srtp.h> // /usr/include/srtp2/srtp.h (include dir added by the stub)

namespace ms_lab_srtp3_compat
{
	using srtp_len_fn = srtp_err_status_t (*)(srtp_t, void*, int*);

	inline srtp_err_status_t call(srtp_len_fn fn, srtp_t ctx, void* hdr, size_t* len)
	{
		if (len == nullptr || *len > static_cast<size_t>(INT_MAX))
			return srtp_err_status_bad_param;

		int intLen = static_cast<int>(*len);
		const srtp_err_status_t err = fn(ctx, hdr, &intLen);

		if (intLen >= 0)
			*len = static_cast<size_t>(intLen);

		return err;
	}
} // namespace ms_lab_srtp3_compat

inline srtp_err_status_t srtp_protect(srtp_t ctx, void* rtpHdr, size_t* len)
{
	return ms_lab_srtp3_compat::call(&::srtp_protect, ctx, rtpHdr, len);
}

inline srtp_err_status_t srtp_unprotect(srtp_t ctx, void* srtpHdr, size_t* len)
{
	return ms_lab_srtp3_compat::call(&::srtp_unprotect, ctx, srtpHdr, len);
}

inline srtp_err_status_t srtp_protect_rtcp(srtp_t ctx, void* rtcpHdr, size_t* len)
{
	return ms_lab_srtp3_compat::call(&::srtp_protect_rtcp, ctx, rtcpHdr, len);
}

inline srtp_err_status_t srtp_unprotect_rtcp(srtp_t ctx, void* srtcpHdr, size_t* len)
{
	return ms_lab_srtp3_compat::call(&::srtp_unprotect_rtcp, ctx, srtcpHdr, len);
}

// `ssrc` is in network byte order, as in both APIs.
inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return ::srtp_remove_stream(session, ssrc);
}

#endif // __cplusplus

#endif // MS_LAB_SRTP3_COMPAT_HPP
