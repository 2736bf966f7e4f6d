	.text
	.p2align 4
	.globl	vadd
	.type	vadd, @function
vadd:
.LFB0:
	.cfi_startproc
	testl	%edx, %edx
	jle	.L1
	movslq	%edx, %rdx
	xorl	%eax, %eax
	leaq	0(,%rdx,4), %rcx
	.p2align 4,,10
	.p2align 3
.L3:
	movl	(%rsi,%rax), %edx
	addl	%edx, (%rdi,%rax)
	addq	$4, %rax
	cmpq	%rcx, %rax
	jne	.L3
.L1:
	ret
	.cfi_endproc
.LFE0:
	.size	vadd, .-vadd
