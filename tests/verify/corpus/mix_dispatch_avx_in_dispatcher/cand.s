	.section	.rodata.cst16,"aM",@progbits,16
	.align 16
.Lllmcc_v1_.LC0:
	.long	1000
	.long	1000
	.long	1000
	.long	1000
	.section	.rodata.cst16,"aM",@progbits,16
	.align 16
.Lllmcc_v1_.LC1:
	.long	-1000
	.long	-1000
	.long	-1000
	.long	-1000
	.section	.rodata.cst16,"aM",@progbits,16
	.set	.Lllmcc_v1_.LC2,.Lllmcc_v1_.LC0
	.section	.rodata.cst16,"aM",@progbits,16
	.set	.Lllmcc_v1_.LC3,.Lllmcc_v1_.LC1
	.text
	.p2align 4
	.globl	mix
	.type	mix, @function
mix:
	.cfi_startproc
	vzeroupper
	testl	$2, __cpu_features2+8(%rip)
	jne	.Lllmcc_dispatch_v3
	jmp	.Lllmcc_dispatch_v1
	.cfi_endproc
	.text
	.p2align 4
.Lllmcc_dispatch_v3:
.Lllmcc_v3_.LFB0:
	.cfi_startproc
	movq	%rdi, %r8
	movq	%rdx, %rdi
	movslq	%ecx, %rdx
	testl	%edx, %edx
	jle	.Lllmcc_v3_.L17
	leal	-1(%rdx), %eax
	movq	%rsi, %r9
	movl	%edx, %r10d
	cmpl	$2, %eax
	jbe	.Lllmcc_v3_.L3
	leaq	4(%r8), %rsi
	movq	%rdi, %rcx
	subq	%rsi, %rcx
	cmpq	$24, %rcx
	jbe	.Lllmcc_v3_.L3
	leaq	4(%r9), %rsi
	movq	%rdi, %rcx
	subq	%rsi, %rcx
	cmpq	$24, %rcx
	jbe	.Lllmcc_v3_.L3
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset 6, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register 6
	pushq	%r14
	pushq	%rbx
	.cfi_offset 14, -24
	.cfi_offset 3, -32
	cmpl	$6, %eax
	jbe	.Lllmcc_v3_.L18
	movl	$1000, %esi
	movl	%edx, %ecx
	vpxor	%xmm2, %xmm2, %xmm2
	xorl	%eax, %eax
	vmovd	%esi, %xmm5
	movl	$-1000, %esi
	shrl	$3, %ecx
	vmovd	%esi, %xmm4
	salq	$5, %rcx
	vpbroadcastd	%xmm5, %ymm5
	vpbroadcastd	%xmm4, %ymm4
.Lllmcc_v3_.L5:
	vmovdqu	(%r8,%rax), %ymm6
	vmovdqu	(%r9,%rax), %ymm7
	vpslld	$3, %ymm6, %ymm0
	vpsrad	$2, %ymm7, %ymm1
	vpsubd	%ymm6, %ymm0, %ymm0
	vpaddd	%ymm1, %ymm0, %ymm0
	vpcmpgtd	%ymm5, %ymm0, %ymm3
	vpaddd	%ymm4, %ymm0, %ymm1
	vpblendvb	%ymm3, %ymm1, %ymm0, %ymm0
	vmovdqu	%ymm0, (%rdi,%rax)
	addq	$32, %rax
	vpaddd	%ymm0, %ymm2, %ymm2
	cmpq	%rcx, %rax
	jne	.Lllmcc_v3_.L5
	vmovdqa	%xmm2, %xmm0
	vextracti128	$0x1, %ymm2, %xmm2
	movl	%edx, %eax
	vpaddd	%xmm2, %xmm0, %xmm0
	andl	$-8, %eax
	vpsrldq	$8, %xmm0, %xmm1
	movl	%eax, %esi
	vpaddd	%xmm1, %xmm0, %xmm1
	vpsrldq	$4, %xmm1, %xmm2
	vpaddd	%xmm2, %xmm1, %xmm1
	vmovd	%xmm1, %ecx
	cmpl	%eax, %edx
	je	.Lllmcc_v3_.L30
	movl	%edx, %r10d
	subl	%eax, %r10d
	leal	-1(%r10), %r11d
	cmpl	$2, %r11d
	jbe	.Lllmcc_v3_.L37
	vzeroupper
.Lllmcc_v3_.L4:
	movl	%esi, %ecx
	movl	$-1000, %ebx
	movl	%r10d, %esi
	vmovdqu	(%r8,%rcx,4), %xmm4
	vmovdqu	(%r9,%rcx,4), %xmm5
	andl	$-4, %esi
	addl	%esi, %eax
	andl	$3, %r10d
	vpslld	$3, %xmm4, %xmm1
	vpsrad	$2, %xmm5, %xmm2
	vpsubd	%xmm4, %xmm1, %xmm1
	vpaddd	%xmm2, %xmm1, %xmm1
	vmovd	%ebx, %xmm2
	movl	$1000, %ebx
	vmovd	%ebx, %xmm3
	vpshufd	$0, %xmm2, %xmm2
	vpshufd	$0, %xmm3, %xmm3
	vpaddd	%xmm2, %xmm1, %xmm2
	vpcmpgtd	%xmm3, %xmm1, %xmm3
	vpblendvb	%xmm3, %xmm2, %xmm1, %xmm1
	vpaddd	%xmm1, %xmm0, %xmm0
	vmovdqu	%xmm1, (%rdi,%rcx,4)
	vpsrldq	$8, %xmm0, %xmm1
	vpaddd	%xmm1, %xmm0, %xmm0
	vpsrldq	$4, %xmm0, %xmm1
	vpaddd	%xmm1, %xmm0, %xmm0
	vmovd	%xmm0, %ecx
	je	.Lllmcc_v3_.L1
.Lllmcc_v3_.L8:
	movslq	%eax, %r11
	movl	$2, %r14d
	movl	(%r8,%r11,4), %ebx
	leaq	0(,%r11,4), %r10
	leal	0(,%rbx,8), %esi
	subl	%ebx, %esi
	sarx	%r14d, (%r9,%r11,4), %ebx
	addl	%ebx, %esi
	cmpl	$1000, %esi
	leal	-1000(%rsi), %ebx
	cmovg	%ebx, %esi
	movl	%esi, (%rdi,%r11,4)
	addl	%esi, %ecx
	leal	1(%rax), %esi
	cmpl	%edx, %esi
	jge	.Lllmcc_v3_.L1
	movl	4(%r8,%r10), %r11d
	leal	0(,%r11,8), %esi
	subl	%r11d, %esi
	sarx	%r14d, 4(%r9,%r10), %r11d
	addl	%r11d, %esi
	cmpl	$1000, %esi
	leal	-1000(%rsi), %r11d
	cmovg	%r11d, %esi
	addl	$2, %eax
	movl	%esi, 4(%rdi,%r10)
	addl	%esi, %ecx
	cmpl	%eax, %edx
	jle	.Lllmcc_v3_.L1
	movl	8(%r8,%r10), %edx
	leal	0(,%rdx,8), %eax
	subl	%edx, %eax
	movl	8(%r9,%r10), %edx
	sarl	$2, %edx
	addl	%edx, %eax
	cmpl	$1000, %eax
	leal	-1000(%rax), %edx
	cmovg	%edx, %eax
	movl	%eax, 8(%rdi,%r10)
	addl	%eax, %ecx
.Lllmcc_v3_.L1:
	popq	%rbx
	movl	%ecx, %eax
	popq	%r14
	popq	%rbp
	.cfi_def_cfa 7, 8
	ret
	.p2align 4,,10
	.p2align 3
.Lllmcc_v3_.L3:
	.cfi_restore 3
	.cfi_restore 6
	.cfi_restore 14
	leaq	0(,%rdx,4), %rsi
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	.p2align 4,,10
	.p2align 3
.Lllmcc_v3_.L15:
	movl	(%r8,%rdx), %r10d
	movl	$2, %eax
	sarx	%eax, (%r9,%rdx), %eax
	leal	(%rax,%r10,8), %eax
	subl	%r10d, %eax
	cmpl	$1000, %eax
	leal	-1000(%rax), %r10d
	cmovg	%r10d, %eax
	movl	%eax, (%rdi,%rdx)
	addq	$4, %rdx
	addl	%eax, %ecx
	cmpq	%rdx, %rsi
	jne	.Lllmcc_v3_.L15
	movl	%ecx, %eax
	ret
	.p2align 4,,10
	.p2align 3
.Lllmcc_v3_.L17:
	xorl	%ecx, %ecx
	movl	%ecx, %eax
	ret
.Lllmcc_v3_.L18:
	.cfi_def_cfa 6, 16
	.cfi_offset 3, -32
	.cfi_offset 6, -16
	.cfi_offset 14, -24
	vpxor	%xmm0, %xmm0, %xmm0
	xorl	%esi, %esi
	xorl	%eax, %eax
	jmp	.Lllmcc_v3_.L4
.Lllmcc_v3_.L30:
	vzeroupper
	jmp	.Lllmcc_v3_.L1
.Lllmcc_v3_.L37:
	vzeroupper
	jmp	.Lllmcc_v3_.L8
	.cfi_endproc
.Lllmcc_v3_.LFE0:
	.text
	.p2align 4
.Lllmcc_dispatch_v1:
.Lllmcc_v1_.LFB0:
	.cfi_startproc
	movq	%rsi, %r8
	movslq	%ecx, %rsi
	movq	%rdi, %r9
	movq	%rdx, %rdi
	testl	%esi, %esi
	jle	.Lllmcc_v1_.L15
	cmpl	$1, %esi
	je	.Lllmcc_v1_.L3
	leaq	4(%r9), %rdx
	movq	%rdi, %rax
	subq	%rdx, %rax
	cmpq	$8, %rax
	jbe	.Lllmcc_v1_.L3
	leaq	4(%r8), %rdx
	movq	%rdi, %rax
	subq	%rdx, %rax
	cmpq	$8, %rax
	jbe	.Lllmcc_v1_.L3
	leal	-1(%rsi), %eax
	movl	%esi, %r10d
	cmpl	$2, %eax
	jbe	.Lllmcc_v1_.L16
	movl	%esi, %edx
	movdqa	.Lllmcc_v1_.LC0(%rip), %xmm4
	xorl	%eax, %eax
	pxor	%xmm5, %xmm5
	shrl	$2, %edx
	movdqa	.Lllmcc_v1_.LC1(%rip), %xmm3
	salq	$4, %rdx
.Lllmcc_v1_.L5:
	movdqu	(%r9,%rax), %xmm1
	movdqu	(%r9,%rax), %xmm6
	movdqu	(%r8,%rax), %xmm0
	pslld	$3, %xmm1
	psrad	$2, %xmm0
	psubd	%xmm6, %xmm1
	paddd	%xmm0, %xmm1
	movdqa	%xmm1, %xmm0
	movdqa	%xmm1, %xmm2
	pcmpgtd	%xmm4, %xmm0
	paddd	%xmm3, %xmm2
	pand	%xmm0, %xmm2
	pandn	%xmm1, %xmm0
	por	%xmm2, %xmm0
	movups	%xmm0, (%rdi,%rax)
	addq	$16, %rax
	paddd	%xmm0, %xmm5
	cmpq	%rax, %rdx
	jne	.Lllmcc_v1_.L5
	movdqa	%xmm5, %xmm1
	movl	%esi, %edx
	psrldq	$8, %xmm1
	andl	$-4, %edx
	paddd	%xmm5, %xmm1
	movl	%edx, %eax
	movdqa	%xmm1, %xmm0
	psrldq	$4, %xmm0
	paddd	%xmm0, %xmm1
	movd	%xmm1, %ecx
	cmpl	%edx, %esi
	je	.Lllmcc_v1_.L1
	subl	%edx, %esi
	movl	%esi, %r10d
	cmpl	$1, %esi
	je	.Lllmcc_v1_.L8
	movdqa	%xmm5, %xmm2
	psrldq	$8, %xmm5
	paddd	%xmm5, %xmm2
.Lllmcc_v1_.L4:
	movq	(%r9,%rax,4), %xmm3
	movq	(%r8,%rax,4), %xmm1
	movq	.Lllmcc_v1_.LC2(%rip), %xmm4
	movdqa	%xmm3, %xmm0
	psrad	$2, %xmm1
	pslld	$3, %xmm0
	psubd	%xmm3, %xmm0
	movq	.Lllmcc_v1_.LC3(%rip), %xmm3
	paddd	%xmm0, %xmm1
	movdqa	%xmm1, %xmm0
	paddd	%xmm1, %xmm3
	pcmpgtd	%xmm4, %xmm0
	pand	%xmm0, %xmm3
	pandn	%xmm1, %xmm0
	por	%xmm3, %xmm0
	movq	%xmm0, (%rdi,%rax,4)
	paddd	%xmm2, %xmm0
	movd	%xmm0, %ecx
	pshufd	$0xe5, %xmm0, %xmm7
	movd	%xmm7, %eax
	addl	%eax, %ecx
	testb	$1, %r10b
	je	.Lllmcc_v1_.L1
	andl	$-2, %r10d
	addl	%r10d, %edx
.Lllmcc_v1_.L8:
	movslq	%edx, %rdx
	movl	(%r9,%rdx,4), %esi
	leal	0(,%rsi,8), %eax
	subl	%esi, %eax
	movl	(%r8,%rdx,4), %esi
	sarl	$2, %esi
	addl	%esi, %eax
	cmpl	$1000, %eax
	leal	-1000(%rax), %esi
	cmovg	%esi, %eax
	movl	%eax, (%rdi,%rdx,4)
	addl	%eax, %ecx
.Lllmcc_v1_.L1:
	movl	%ecx, %eax
	ret
	.p2align 4,,10
	.p2align 3
.Lllmcc_v1_.L3:
	salq	$2, %rsi
	xorl	%edx, %edx
	xorl	%ecx, %ecx
	.p2align 4,,10
	.p2align 3
.Lllmcc_v1_.L13:
	movl	(%r8,%rdx), %eax
	movl	(%r9,%rdx), %r10d
	sarl	$2, %eax
	leal	(%rax,%r10,8), %eax
	subl	%r10d, %eax
	cmpl	$1000, %eax
	leal	-1000(%rax), %r10d
	cmovg	%r10d, %eax
	movl	%eax, (%rdi,%rdx)
	addq	$4, %rdx
	addl	%eax, %ecx
	cmpq	%rdx, %rsi
	jne	.Lllmcc_v1_.L13
	movl	%ecx, %eax
	ret
	.p2align 4,,10
	.p2align 3
.Lllmcc_v1_.L15:
	xorl	%ecx, %ecx
	movl	%ecx, %eax
	ret
.Lllmcc_v1_.L16:
	pxor	%xmm2, %xmm2
	xorl	%eax, %eax
	xorl	%edx, %edx
	jmp	.Lllmcc_v1_.L4
	.cfi_endproc
.Lllmcc_v1_.LFE0:
	.text
	.size	mix, .-mix
